// Gives docroot a preopened site under `jco serve`, which preopens nothing by
// default: the directory named by SITE_DIR becomes the guest's `/`, or the
// guest path named by SITE_GUEST_PATH (like wasmtime's `--dir DIR::GUEST`).
//   SITE_DIR=./public npx jco serve --port 8080 --jco-import ./hosts/jco/preopen.mjs \
//     target/wasm32-wasip2/release/docroot.wasm
// (The names are not DOCROOT_*: jco passes the whole host environment to the
// component, and docroot refuses DOCROOT_ variables it does not know.)
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

const dir = process.env.SITE_DIR;
if (!dir) {
  throw new Error('set SITE_DIR to the directory to serve');
}
const guest = process.env.SITE_GUEST_PATH || '/';
if (!guest.startsWith('/')) {
  throw new Error(`SITE_GUEST_PATH must be an absolute guest path, not ${guest}`);
}
_setPreopens({ [guest]: dir });
