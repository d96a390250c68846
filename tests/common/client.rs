//! The one raw HTTP/1.1 client of the end-to-end tests: a TCP connection
//! that sends bytes exactly as given and reads the answer as fast, as
//! slowly, or as partly as a test needs. Every read has a timeout, and a
//! whole answer a deadline (checked after each read, so it may be passed by
//! at most one read's timeout): a server that stops answering fails the
//! test, with what the server printed, instead of hanging it.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one read may wait, unless a test says otherwise.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One connection to a server.
pub struct Conn {
    stream: TcpStream,
    /// Bytes read past what a caller asked for (after the head).
    pending: Vec<u8>,
    timeout: Duration,
    /// What the server printed, shown when the connection fails a test.
    server_output: Option<Arc<Mutex<String>>>,
}

impl Conn {
    /// Connects to `addr`, with reads that wait up to [`READ_TIMEOUT`].
    pub fn open(addr: SocketAddr) -> Conn {
        Conn::open_waiting(addr, READ_TIMEOUT)
    }

    /// Connects to `addr`, with reads that wait up to `timeout`.
    pub fn open_waiting(addr: SocketAddr, timeout: Duration) -> Conn {
        let stream = loop {
            match TcpStream::connect(addr) {
                Ok(stream) => break stream,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => panic!("connecting to the server at {addr}: {e}"),
            }
        };
        stream.set_read_timeout(Some(timeout)).unwrap();
        Conn {
            stream,
            pending: Vec::new(),
            timeout,
            server_output: None,
        }
    }

    /// Shows `output` (what the server printed) when this connection fails.
    pub fn reporting(mut self, output: Arc<Mutex<String>>) -> Conn {
        self.server_output = Some(output);
        self
    }

    /// Fails the test with `why` and what the server printed.
    fn fail(&self, why: &str) -> ! {
        let output = self
            .server_output
            .as_ref()
            .map(|o| o.lock().map(|o| o.clone()).unwrap_or_default())
            .unwrap_or_default();
        panic!("{why}; the server's output:\n{output}")
    }

    /// Waits, reading nothing, until the server has stopped sending: the
    /// bytes waiting unread on this connection (counted by peeking, which
    /// takes none) stay the same for `quiet`. Then the server's write is
    /// blocked on a full connection, and not still filling it. Returns how
    /// many bytes wait; fails the test after `limit`.
    pub fn wait_until_stalled(&mut self, quiet: Duration, limit: Duration) -> usize {
        let mut buf = vec![0; 16 << 20];
        self.stream.set_nonblocking(true).unwrap();
        let started = Instant::now();
        let (mut last, mut since) = (usize::MAX, Instant::now());
        loop {
            let waiting = match self.stream.peek(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => 0,
                Err(e) => self.fail(&format!("peeking at the connection: {e}")),
            };
            if waiting != last {
                (last, since) = (waiting, Instant::now());
            } else if since.elapsed() >= quiet {
                self.stream.set_nonblocking(false).unwrap();
                return waiting;
            }
            if started.elapsed() > limit {
                self.fail(&format!(
                    "the server still sent after {limit:?} ({waiting} bytes waiting)"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `bytes` as they are.
    pub fn send(&mut self, bytes: &[u8]) -> &mut Conn {
        self.stream.write_all(bytes).expect("sending the request");
        self
    }

    /// Sends `METHOD target HTTP/1.1` with `Host`, the `headers` given and,
    /// when `close`, `Connection: close`.
    pub fn send_request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        close: bool,
    ) -> &mut Conn {
        let mut req = format!("{method} {target} HTTP/1.1\r\nHost: x\r\n");
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        if close {
            req.push_str("Connection: close\r\n");
        }
        req.push_str("\r\n");
        self.send(req.as_bytes())
    }

    /// One read of at most `max` bytes: what has arrived, or the first
    /// bytes to arrive; empty when the server closed the connection.
    pub fn read_some(&mut self, max: usize) -> Vec<u8> {
        if !self.pending.is_empty() {
            let n = max.min(self.pending.len());
            return self.pending.drain(..n).collect();
        }
        let mut buf = vec![0u8; max];
        loop {
            match self.stream.read(&mut buf) {
                Ok(n) => {
                    buf.truncate(n);
                    return buf;
                }
                // A signal to the test process (a host's child exiting)
                // interrupts a read that has a timeout: read again.
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Vec::new(),
                Err(e) => self.fail(&format!("reading the answer: {e}")),
            }
        }
    }

    /// Reads up to the end of the response head and returns it (status
    /// line and headers, without the blank line); the bytes after it stay
    /// for the next read.
    pub fn read_head(&mut self) -> String {
        let mut head = std::mem::take(&mut self.pending);
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                self.pending = head.split_off(end + 4);
                head.truncate(end);
                return String::from_utf8(head).expect("an ASCII response head");
            }
            let more = self.read_some(16 * 1024);
            if more.is_empty() {
                self.fail("the connection closed inside the head");
            }
            if Instant::now() >= deadline {
                self.fail(&format!("no complete head within {:?}", self.timeout));
            }
            head.extend_from_slice(&more);
        }
    }

    /// Reads until the server closes the connection, within `limit` in all.
    pub fn read_to_close_within(&mut self, limit: Duration) -> Vec<u8> {
        self.read_paced(limit, |_| {})
    }

    /// Reads until the server closes the connection, within the read timeout.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        self.read_to_close_within(self.timeout)
    }

    /// Reads until the server closes, 16 KiB at a time, calling `between`
    /// with the bytes read so far after each read (where a test sleeps to
    /// read slowly); the whole within `limit`.
    pub fn read_paced(&mut self, limit: Duration, mut between: impl FnMut(usize)) -> Vec<u8> {
        let deadline = Instant::now() + limit;
        let mut all = std::mem::take(&mut self.pending);
        loop {
            let more = self.read_some(16 * 1024);
            if more.is_empty() {
                return all;
            }
            all.extend_from_slice(&more);
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "the answer took over {limit:?} ({} bytes so far)",
                    all.len()
                ));
            }
            between(all.len());
        }
    }
}

/// The value of header `name` (case-insensitive) in a response head.
pub fn head_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
