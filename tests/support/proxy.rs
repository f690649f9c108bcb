//! A TCP proxy between pgstep and the test server that cuts one connection at a chosen
//! moment: the way a network drops a session, with the server left to finish what it was
//! sent.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
