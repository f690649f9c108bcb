//! A scripted stand-in for a PostgreSQL server, so connection errors and TLS checks are
//! tested without a real cluster.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

// Test certificates (P-256, valid until 2126), made with the openssl CLI:
// CA_CERT is a CA; LEAF_* is a server certificate for DNS name "localhost" signed by it;
// SELF_* is a self-signed "localhost" certificate that keeps the CA:TRUE flag.
pub(crate) const CA_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBiTCCAS+gAwIBAgIUbRYfCr5mDYtX3x+TMI5ajYCNroUwCgYIKoZIzj0EAwIw\n\
GTEXMBUGA1UEAwwOcGdzdGVwLXRlc3QtY2EwIBcNMjYxMTIxMTQwMDIyWhgPMjEy\n\
NjEwMjgxNDAwMjJaMBkxFzAVBgNVBAMMDnBnc3RlcC10ZXN0LWNhMFkwEwYHKoZI\n\
zj0CAQYIKoZIzj0DAQcDQgAEoqrlpjYO792UXrgxf1gWs8T1HoJeBzBnDqZnHoSB\n\
t85By3inQimQKK6rXU9AJHVSA5MmPZnGusS7Mf7nWfd+daNTMFEwHQYDVR0OBBYE\n\
FOSbxvUezmRA0rfB5nch5yqQayrCMB8GA1UdIwQYMBaAFOSbxvUezmRA0rfB5nch\n\
5yqQayrCMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgd7/zyVU6\n\
F7iuEG3KtcwS2c8rrlvMx1Dqi/FWM5P2Cb4CIQDYmLMYmXrREAktS0Fl42uJQVo6\n\
v5RGXlzlBsloYBGf7w==\n\
-----END CERTIFICATE-----\n\
";
pub(crate) const LEAF_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBvjCCAWSgAwIBAgIUMmNv6pKy1SZ2tnOSrQP17r3oY6gwCgYIKoZIzj0EAwIw\n\
GTEXMBUGA1UEAwwOcGdzdGVwLXRlc3QtY2EwIBcNMjYxMTIxMTQwMDIyWhgPMjEy\n\
NjEwMjgxNDAwMjJaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEG\n\
CCqGSM49AwEHA0IABD7wwsvphA0Zii54uWlxBdLBaR5qSYi1CdVDVkSjo2P0R+ug\n\
YRqVZIN1i2Y3RX7yyh4vmLSCaOlUMpTjAQd+i6KjgYwwgYkwFAYDVR0RBA0wC4IJ\n\
bG9jYWxob3N0MAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQM\n\
MAoGCCsGAQUFBwMBMB0GA1UdDgQWBBTeHhxAMBE9fSofN2dHhGzTKPEH4TAfBgNV\n\
HSMEGDAWgBTkm8b1Hs5kQNK3weZ3IecqkGsqwjAKBggqhkjOPQQDAgNIADBFAiAc\n\
u0gypsc+4E/P3fzNgvTrLRdJWCd9bUxsk7w2f1JEnQIhAIgKXkrnrm4nCFCFpCwl\n\
ofHJJVXWDsuPDGuKrqubdMAT\n\
-----END CERTIFICATE-----\n\
";
pub(crate) const LEAF_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc4ux4lv2CiYIRksz\n\
Ofh4+pfOWyQUwnxXREcafI1HmZmhRANCAAQ+8MLL6YQNGYoueLlpcQXSwWkeakmI\n\
tQnVQ1ZEo6Nj9EfroGEalWSDdYtmN0V+8soeL5i0gmjpVDKU4wEHfoui\n\
-----END PRIVATE KEY-----\n\
";
pub(crate) const SELF_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBlTCCATugAwIBAgIUJ7dvCByrSB29M+9mioMqe8/TxqYwCgYIKoZIzj0EAwIw\n\
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMTE0MDAyMloYDzIxMjYxMDI4\n\
MTQwMDIyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n\
PQMBBwNCAATb0lglguLFJsjeK58Pr93wRdAZ44YU299QlbZhtaFaK2vpw9Qdb4/3\n\
kPYMK29wTORolBVOr6u0niQY5wxJUACdo2kwZzAdBgNVHQ4EFgQULegphBt2XaR2\n\
6LfnVkk5Eh2agtkwHwYDVR0jBBgwFoAULegphBt2XaR26LfnVkk5Eh2agtkwDwYD\n\
VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID\n\
SAAwRQIhAOq9aThCNvTz4IXOve1vlbtA5h5vw660vIn76LGktJPnAiAJsmWCmVEh\n\
zyIXI/NmNTn0uJvJwA7InpewRlT0UCQYwA==\n\
-----END CERTIFICATE-----\n\
";
pub(crate) const SELF_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdt2MffqAeLwUa5Oe\n\
xqRB/Y+HBxrdIMm/z/ZBEqYvkJChRANCAATb0lglguLFJsjeK58Pr93wRdAZ44YU\n\
299QlbZhtaFaK2vpw9Qdb4/3kPYMK29wTORolBVOr6u0niQY5wxJUACd\n\
-----END PRIVATE KEY-----\n\
";

/// How the fake server answers the client's SSLRequest.
pub(crate) enum Ssl {
    Refuse,
    Accept {
        cert: &'static str,
        key: &'static str,
    },
    Garbage,
}

/// What the server says after the startup message.
pub(crate) enum Reply {
    /// An ErrorResponse with this SQLSTATE.
    Error(&'static str),
    /// A request for a cleartext password.
    AskPassword,
}

/// What one connection gets: the SSL answer, then the reply.
pub(crate) struct Script {
    pub ssl: Ssl,
    pub reply: Reply,
}

/// Serves one connection per script, in order, on a loopback port it returns.
pub(crate) fn serve(scripts: Vec<Script>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (stream, script) in listener.incoming().zip(scripts) {
            // The client hanging up mid-script is what several tests expect.
            let _ = answer(stream.unwrap(), &script);
        }
    });
    port
}

fn answer(mut tcp: TcpStream, script: &Script) -> io::Result<()> {
    let first = read_message(&mut tcp)?;
    // The SSLRequest code, 1234 5679.
    if first != [0x04, 0xd2, 0x16, 0x2f] {
        return reply(&mut tcp, &script.reply);
    }
    match script.ssl {
        Ssl::Refuse => {
            tcp.write_all(b"N")?;
            read_message(&mut tcp)?;
            reply(&mut tcp, &script.reply)
        }
        Ssl::Garbage => tcp.write_all(b"Sthis is not a TLS server hello at all"),
        Ssl::Accept { cert, key } => {
            tcp.write_all(b"S")?;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                    PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
                )
                .unwrap();
            let session = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = rustls::StreamOwned::new(session, tcp);
            read_message(&mut tls)?;
            reply(&mut tls, &script.reply)?;
            tls.flush()
        }
    }
}

/// Reads a length-prefixed startup-phase message and returns its body.
fn read_message(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0; 4];
    stream.read_exact(&mut len)?;
    let mut body = vec![0; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
    stream.read_exact(&mut body)?;
    Ok(body)
}

fn reply(stream: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let code = match reply {
        Reply::Error(code) => code,
        Reply::AskPassword => {
            stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])?;
            return stream.flush();
        }
    };
    let mut fields = Vec::new();
    for (tag, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', code),
        (b'M', "scripted failure"),
    ] {
        fields.push(tag);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut message = vec![b'E'];
    message.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
    message.extend_from_slice(&fields);
    stream.write_all(&message)?;
    stream.flush()
}
