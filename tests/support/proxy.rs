//! A TCP proxy between pgstep and the test server that cuts one connection at a chosen
//! moment: the way a network drops a session, with the server left to finish what it was
//! sent.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The port of the test server, for a proxy; `None` on a server not on 127.0.0.1.
pub fn server_port(url: &str) -> Option<u16> {
    let at = url.find("127.0.0.1:")? + "127.0.0.1:".len();
    let digits: String = url[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A proxy listening on a port of its own, forwarding to the server's.
pub struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    /// Both ends of every connection so far, to cut them all at once.
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Forwards every connection to `server_port`. The first connection whose client sends
    /// `needle` has it forwarded, but no reply to it or after it; after `pause` (time for the
    /// server to act on it) it loses both directions. Later connections pass untouched.
    pub fn start(server_port: u16, needle: &'static [u8], pause: Duration) -> Proxy {
        Proxy::listen(0, server_port, Some(needle), pause)
    }

    /// Forwards every connection on `port` (0: any free one) to `server_port`, cutting one
    /// at `needle` if given.
    pub fn listen(
        port: u16,
        server_port: u16,
        needle: Option<&'static [u8]>,
        pause: Duration,
    ) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("a port for the proxy");
        let port = listener.local_addr().expect("the proxy's address").port();
        let cut = Arc::new(AtomicBool::new(false));
        let live = Arc::new(Mutex::new(Vec::new()));
        let (done, streams) = (cut.clone(), live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let done = done.clone();
                let streams = streams.clone();
                std::thread::spawn(move || {
                    relay(client, server_port, needle, pause, &done, &streams)
                });
            }
        });
        Proxy { port, cut, live }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cuts every connection made so far, as a network cut or a server restart would; new
    /// ones pass.
    pub fn cut_all(&self) {
        for s in self.live.lock().expect("the list of connections").drain(..) {
            s.shutdown(Shutdown::Both).ok();
        }
        self.cut.store(true, Ordering::SeqCst);
    }

    /// `url` (a test database's) through the proxy.
    pub fn url(&self, url: &str) -> String {
        let at = url.find("127.0.0.1:").expect("a TCP URL") + "127.0.0.1:".len();
        let end = at + url[at..].find('/').expect("a database in the URL");
        format!("{}{}{}", &url[..at], self.port, &url[end..])
    }

    /// Whether a connection was cut.
    pub fn has_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

fn relay(
    client: TcpStream,
    server_port: u16,
    needle: Option<&[u8]>,
    pause: Duration,
    done: &AtomicBool,
    live: &Mutex<Vec<TcpStream>>,
) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) else {
        return;
    };
    if let (Ok(a), Ok(b), Ok(mut list)) = (client.try_clone(), server.try_clone(), live.lock()) {
        list.push(a);
        list.push(b);
    }
    let (Ok(mut to_client), Ok(mut from_server)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let silenced = Arc::new(AtomicBool::new(false));
    let silent = silenced.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = from_server.read(&mut buf) {
            if n == 0 || silent.load(Ordering::SeqCst) || to_client.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        to_client.shutdown(Shutdown::Both).ok();
    });
    let (mut from_client, mut to_server) = (client, server);
    let mut buf = [0u8; 16384];
    // The tail of the previous read, so a needle split across two reads is still seen.
    let mut carry: Vec<u8> = Vec::new();
    while let Ok(n) = from_client.read(&mut buf) {
        carry.extend_from_slice(&buf[..n]);
        let seen =
            n > 0 && needle.is_some_and(|needle| carry.windows(needle.len()).any(|w| w == needle));
        let cut = seen && !done.swap(true, Ordering::SeqCst);
        if cut {
            silenced.store(true, Ordering::SeqCst);
        }
        if n == 0 || to_server.write_all(&buf[..n]).is_err() {
            break;
        }
        if cut {
            std::thread::sleep(pause);
            from_client.shutdown(Shutdown::Both).ok();
            to_server.shutdown(Shutdown::Both).ok();
            return;
        }
        let keep = carry.len().saturating_sub(needle.map_or(0, <[u8]>::len));
        carry.drain(..keep);
    }
    to_server.shutdown(Shutdown::Both).ok();
}

/// A proxy that forwards every connection untouched and keeps what the server answered, to
/// read the errors the server raised: each one is also a line in its log.
pub struct Tap {
    port: u16,
    replies: Arc<Mutex<Vec<Replies>>>,
}

/// What the server sent on one connection.
type Replies = Arc<Mutex<Vec<u8>>>;

impl Tap {
    pub fn start(server_port: u16) -> Tap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the tap");
        let port = listener.local_addr().expect("the tap's address").port();
        let replies = Arc::new(Mutex::new(Vec::new()));
        let all = replies.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) else {
                    continue;
                };
                let seen = Arc::new(Mutex::new(Vec::new()));
                all.lock().expect("the tap's list").push(seen.clone());
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                std::thread::spawn(move || copy(client, s2, None));
                std::thread::spawn(move || copy(server, c2, Some(&seen)));
            }
        });
        Tap { port, replies }
    }

    /// `url` (a test database's) through the tap.
    pub fn url(&self, url: &str) -> String {
        let at = url.find("127.0.0.1:").expect("a TCP URL") + "127.0.0.1:".len();
        let end = at + url[at..].find('/').expect("a database in the URL");
        format!("{}{}{}", &url[..at], self.port, &url[end..])
    }

    /// The SQLSTATE of every ErrorResponse the server sent, connection by connection.
    pub fn errors(&self) -> Vec<String> {
        let all = self.replies.lock().expect("the tap's list");
        all.iter()
            .flat_map(|c| sqlstates(&c.lock().expect("a connection's replies")))
            .collect()
    }
}

fn copy(mut from: TcpStream, mut to: TcpStream, keep: Option<&Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 16384];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
        if let Some(k) = keep {
            k.lock()
                .expect("a connection's replies")
                .extend_from_slice(&buf[..n]);
        }
    }
    to.shutdown(Shutdown::Both).ok();
}

/// The SQLSTATEs of the ErrorResponse messages in a server's byte stream (a refused SSL
/// request's single `N` first, if any).
fn sqlstates(mut s: &[u8]) -> Vec<String> {
    if s.first() == Some(&b'N') {
        s = &s[1..];
    }
    let mut out = Vec::new();
    while s.len() >= 5 {
        let len = u32::from_be_bytes([s[1], s[2], s[3], s[4]]) as usize;
        let Some(body) = s.get(5..1 + len) else { break };
        if s[0] == b'E' {
            let code = body
                .split(|&b| b == 0)
                .find(|f| f.first() == Some(&b'C'))
                .map(|f| String::from_utf8_lossy(&f[1..]).into_owned());
            out.push(code.unwrap_or_default());
        }
        s = &s[1 + len..];
    }
    out
}
