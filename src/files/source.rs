//! Steps 4 to 7 of the file pipeline, for a file found: where its answer's
//! bytes come from (a precompressed sibling, a coding made on the fly, or
//! the file itself), its validators, the preconditions and the range.

#![forbid(unsafe_code)]

use super::conditional::{self, EntityTag, Precondition, Validators, Variant, Version};
use super::range::RangeRequest;
use super::{Ending, FileBody, Pipeline, Representation};
use crate::codec::{self, Encoding, Made, Transform};
use crate::content_type;
use crate::digest::{self, Digest};
use crate::fs::{Files, Kind, Meta};
use crate::negotiate;
use crate::path::SitePath;
use crate::store::Store;
use std::rc::Rc;

/// What a path is served from as a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// The file itself, with its metadata.
    File(Meta),
    /// Only `name.gz` exists (nginx's `gzip_static` case), with its metadata.
    OnlyGzip(Meta),
}

/// How a file was reached, which decides its `Vary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reached {
    /// By its own path: the representation varies by `Accept-Encoding`.
    Path,
    /// As the fallback for a missing path: also by `Accept`.
    Fallback,
}

/// How a file's answer is made (step 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
    /// The file as it is.
    Identity,
    /// A site's precompressed file, with its metadata: `name.br`, … beside
    /// the file, or the `name.gz` of a missing `name`.
    Precompressed(SitePath, Encoding, Meta),
    /// The file coded by docroot: whole, or while it streams.
    Made {
        /// The coding and level.
        made: Made,
        /// Coded whole (its length known) rather than while it streams.
        whole: bool,
    },
    /// The `name.gz` of a missing `name`, decoded while it streams.
    Gunzip(SitePath, Meta),
}

impl Source {
    /// The `Content-Encoding` this answer carries.
    pub(super) fn encoding(&self) -> Option<Encoding> {
        match self {
            Source::Identity | Source::Gunzip(..) => None,
            Source::Precompressed(_, encoding, _) => Some(*encoding),
            Source::Made { made, .. } => Some(made.encoding),
        }
    }

    /// The file the answer's bytes are read from: a sibling, or the file.
    fn file<'a>(&'a self, path: &'a SitePath) -> &'a SitePath {
        match self {
            Source::Precompressed(file, ..) | Source::Gunzip(file, _) => file,
            Source::Identity | Source::Made { .. } => path,
        }
    }
}

impl<Fs: Files, St: Store> Pipeline<'_, Fs, St> {
    /// Steps 4 to 7 for the file at `path`, found as `found`: the source
    /// the client is best served from, or, when that cannot be made (a
    /// sibling that cannot be opened, a file changed since its stat, a
    /// coder that failed), the file itself.
    pub(super) async fn file(
        &self,
        path: &SitePath,
        found: Found,
        reached: Reached,
    ) -> Ending<Fs::File> {
        if !self.admits(path) {
            return Ending::Unauthorized;
        }
        let content_type = content_type::for_name(path.file_name().unwrap_or(""));
        let source = self.choose(path, found, &content_type).await;
        let identity = source == Source::Identity;
        match self
            .reply(path, found, reached, &content_type, source)
            .await
        {
            Ok(ending) => ending,
            Err(err) if identity || !matches!(found, Found::File(_)) => err,
            Err(_) => {
                let plain = self.reply(path, found, reached, &content_type, Source::Identity);
                plain.await.unwrap_or_else(|err| err)
            }
        }
    }

    /// Steps 5 to 7 for the file at `path` served from `source`: its
    /// validators, the preconditions, the range, and its body. `Err` when
    /// the source cannot be made, with what to answer if nothing else can.
    async fn reply(
        &self,
        path: &SitePath,
        found: Found,
        reached: Reached,
        content_type: &str,
        source: Source,
    ) -> Result<Ending<Fs::File>, Ending<Fs::File>> {
        let conditions = &self.p.asked.conditions;
        // 5. Validators, of the file the answer is made from.
        let (of, variant) = match (&source, found) {
            (Source::Identity, Found::File(meta)) => (meta, Variant::Identity),
            (Source::Made { made, .. }, Found::File(meta)) => (meta, Variant::Made(*made)),
            (Source::Precompressed(_, encoding, meta), _) => (*meta, Variant::Sibling(*encoding)),
            (Source::Gunzip(_, meta), _) => (*meta, Variant::Gunzip),
            // `choose` makes neither for a file that exists only as `.gz`.
            (Source::Identity | Source::Made { .. }, Found::OnlyGzip(meta)) => {
                (meta, Variant::Gunzip)
            }
        };
        let (validators, read) = self.validators(source.file(path), of, variant).await;
        let mut rep = Representation {
            content_type: content_type.to_owned(),
            encoding: source.encoding(),
            // Known before the body only for what is sent as it is.
            len: match source {
                Source::Made { whole: false, .. } | Source::Gunzip(..) => None,
                _ => Some(of.len),
            },
            validators,
            vary: match reached {
                Reached::Path => "Accept-Encoding",
                Reached::Fallback => "Accept, Accept-Encoding",
            },
            ranges: matches!(found, Found::File(_)),
            bytes_of: (reached == Reached::Path).then(|| source.file(path).segments().to_vec()),
        };
        // 6. Preconditions.
        match conditional::evaluate(conditions, &rep.validators) {
            Precondition::Proceed => {}
            Precondition::NotModified => return Ok(Ending::NotModified(rep)),
            Precondition::Failed => return Ok(Ending::PreconditionFailed),
        }
        // 7. Range: of the file itself (a request with `Range` gets it),
        // only for GET (RFC 9110 §14.2), and only if If-Range allows.
        let range = match &conditions.range {
            Some(value)
                if source == Source::Identity
                    && !self.p.asked.head
                    && conditional::if_range_allows(conditions, &rep.validators) =>
            {
                RangeRequest::parse(value, of.len)
            }
            _ => RangeRequest::Full,
        };
        let range = match range {
            RangeRequest::Full => None,
            RangeRequest::Partial { start, len } => Some((start, len)),
            RangeRequest::Unsatisfiable => return Ok(Ending::RangeNotSatisfiable(of.len)),
        };
        // The bytes read for the digest are the body, so that what is sent
        // is what the tag names.
        let made = match (read, range) {
            (Some(bytes), None) => self.body_of_read(path, bytes, &source),
            _ => None,
        };
        let (body, len) = match made {
            Some(made) => made,
            None => {
                let file = self
                    .fs
                    .open(source.file(path).segments())
                    .await
                    .map_err(Ending::from)?;
                self.body(path, file, of, &source)
                    .await
                    .map_err(|_| Ending::Failed("the file changed, or could not be coded".into()))?
            }
        };
        rep.len = len;
        Ok(Ending::File { body, rep, range })
    }

    /// Step 5, the validators of a representation made as `variant` from
    /// the file at `file`, `of` by its stat; and the file's bytes when this
    /// request read them to take their digest.
    ///
    /// The version that names the file is its digest: as the store keeps
    /// it for the bytes it holds, or taken now from the whole file when it
    /// is small enough to be read ([`digest::READ_MAX`]); else as a packed
    /// site's manifest records it, which also gives `Last-Modified`. An
    /// entry that does not agree with the file (another size, or another
    /// digest than its bytes') is ignored for it. A larger file with no
    /// entry is named by its size and time.
    async fn validators(
        &self,
        file: &SitePath,
        of: Meta,
        variant: Variant,
    ) -> (Validators, Option<Rc<[u8]>>) {
        let segments = file.segments();
        let (digest, read) = match self.store.digest(segments) {
            Some(digest) => (Some(digest), None),
            None if of.len <= digest::READ_MAX => match self.read(segments, of).await {
                Some(bytes) => (Some(Digest::of(&bytes)), Some(bytes)),
                None => (None, None),
            },
            None => (None, None),
        };
        let rules = self.p.rules;
        let entry = match rules.manifest_entry(segments) {
            Some(entry) if entry.len != of.len => {
                let why = format!("says {} bytes, the file has {}", entry.len, of.len);
                rules.disagrees(segments, &why);
                None
            }
            Some(entry) if digest.is_some_and(|d| d != entry.digest) => {
                rules.disagrees(segments, "has another digest than the file's bytes");
                None
            }
            entry => entry,
        };
        let (version, last_modified) = match (entry, digest) {
            (Some(entry), _) => (Some(Version::Content(entry.digest)), entry.modified),
            (None, Some(digest)) => (Some(Version::Content(digest)), of.modified),
            (None, None) => (
                of.modified.map(|modified| Version::Stat {
                    len: of.len,
                    modified,
                }),
                of.modified,
            ),
        };
        let validators = Validators {
            etag: version.map(|version| EntityTag::for_file(version, variant)),
            last_modified,
        };
        (validators, read)
    }

    /// The whole file at `path`, if it is still `of` long.
    async fn read(&self, path: &[String], of: Meta) -> Option<Rc<[u8]>> {
        let file = self.fs.open(path).await.ok()?;
        let bytes = self.fs.read_shared(&file, of.len).await.ok()?;
        (bytes.len() as u64 == of.len).then_some(bytes)
    }

    /// The body of a whole answer made as `source` says from `bytes`, the
    /// file this request read for its digest: the bytes themselves, or
    /// their coding made whole. `None` for a source that streams.
    fn body_of_read(
        &self,
        path: &SitePath,
        bytes: Rc<[u8]>,
        source: &Source,
    ) -> Option<(FileBody<Fs::File>, Option<u64>)> {
        let whole = match source {
            Source::Identity | Source::Precompressed(..) => bytes,
            Source::Made { made, whole: true } => self.coding_of(path, &bytes, *made)?,
            Source::Made { whole: false, .. } | Source::Gunzip(..) => return None,
        };
        let len = whole.len() as u64;
        Some((FileBody::Whole(whole), Some(len)))
    }

    /// Step 4, how the answer for the file at `path` is made: for a file
    /// that exists only as `name.gz`, that file (to a client that takes
    /// gzip) or it decoded; else the first precompressed file the client
    /// prefers that is a regular file, else a coding made on the fly, else
    /// the file itself. A request with `Range` gets the file itself, since
    /// ranges count its bytes.
    async fn choose(&self, path: &SitePath, found: Found, content_type: &str) -> Source {
        let accept = self.p.asked.accept_encoding.as_deref();
        let meta = match found {
            Found::OnlyGzip(gz) => {
                let file = path.with_suffix(Encoding::Gzip.suffix());
                return if negotiate::preferred(accept, &[Encoding::Gzip]).is_empty() {
                    Source::Gunzip(file, gz)
                } else {
                    Source::Precompressed(file, Encoding::Gzip, gz)
                };
            }
            Found::File(meta) => meta,
        };
        if self.p.asked.conditions.ranged {
            return Source::Identity;
        }
        for encoding in negotiate::preferred(accept, &Encoding::ALL) {
            let sibling = path.with_suffix(encoding.suffix());
            if let Ok(sibling_meta) = self.fs.stat(sibling.segments()).await
                && sibling_meta.kind == Kind::File
            {
                return Source::Precompressed(sibling, encoding, sibling_meta);
            }
        }
        self.made_on_the_fly(content_type, meta.len)
    }

    /// A coding made on the fly of a file of `len` bytes of `content_type`,
    /// when [`crate::prepare::Prepared::coding`] says one is made, at the
    /// configured effort; else the file itself.
    pub(super) fn made_on_the_fly(&self, content_type: &str, len: u64) -> Source {
        match self.p.coding(content_type, len, false) {
            Some((encoding, whole)) => Source::Made {
                made: self.p.coding_effort.made(encoding),
                whole,
            },
            None => Source::Identity,
        }
    }

    /// The body of an answer from `file` (the file at `path`, or the
    /// sibling `source` names, open, `of` by its stat) made as `source`
    /// says, and its length when known before it is sent. The file back
    /// when the coding cannot be made (the file changed since its stat, or
    /// the coder failed).
    pub(super) async fn body(
        &self,
        path: &SitePath,
        file: Fs::File,
        of: Meta,
        source: &Source,
    ) -> Result<(FileBody<Fs::File>, Option<u64>), Fs::File> {
        let transform = match source {
            Source::Identity | Source::Precompressed(..) => {
                return Ok((FileBody::Open(file), Some(of.len)));
            }
            Source::Made { made, whole: true } => {
                return match self.coded(path, &file, of, *made).await {
                    Some(coded) => {
                        let len = coded.len() as u64;
                        Ok((FileBody::Whole(coded), Some(len)))
                    }
                    None => Err(file),
                };
            }
            Source::Gunzip(..) => Transform::Gunzip,
            Source::Made { made, whole: false } => match made.streaming() {
                Some(transform) => transform,
                None => return Err(file),
            },
        };
        let len = of.len;
        Ok((
            FileBody::Stream {
                file,
                len,
                transform,
            },
            None,
        ))
    }

    /// The file at `path`, open as `file` and `meta` by its stat, coded
    /// whole as `made`: as the store keeps it, or made now and offered to
    /// it. `None` when the file changed since its stat or the coder failed.
    async fn coded(
        &self,
        path: &SitePath,
        file: &Fs::File,
        meta: Meta,
        made: Made,
    ) -> Option<Rc<[u8]>> {
        if let Some(coded) = self.store.coding(path.segments(), made) {
            return Some(coded);
        }
        let bytes = self.fs.read_whole(file, meta.len).await.ok()?;
        if bytes.len() as u64 != meta.len {
            return None;
        }
        self.code_and_keep(path, &bytes, made)
    }

    /// `bytes`, the file at `path` as this request saw it, coded whole as
    /// `made`: as the store keeps it, or made now and offered to it.
    fn coding_of(&self, path: &SitePath, bytes: &[u8], made: Made) -> Option<Rc<[u8]>> {
        match self.store.coding(path.segments(), made) {
            Some(coded) => Some(coded),
            None => self.code_and_keep(path, bytes, made),
        }
    }

    /// `bytes` coded whole as `made` now, and offered to the store.
    fn code_and_keep(&self, path: &SitePath, bytes: &[u8], made: Made) -> Option<Rc<[u8]>> {
        let coded: Rc<[u8]> = codec::encode(bytes, made)?.into();
        self.store.keep_coding(path.segments(), made, &coded);
        Some(coded)
    }
}
