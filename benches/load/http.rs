//! A minimal HTTP/1.1 keep-alive client for the load generator: one connection,
//! one request in flight, pre-built request bytes, `Content-Length` or chunked
//! bodies. Far cheaper per request than a general client, so the generator core
//! is less of a bottleneck.

use std::io::{Error, ErrorKind};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Responses larger than this are refused (the endpoints under test answer a few KiB).
const MAX_RESPONSE: usize = 1 << 20;

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// Status and body of one response.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The server asked to close the connection after this response.
    pub close: bool,
    /// The `Location` header, if any (redirects of the login flows).
    pub location: Option<String>,
    /// Every `Set-Cookie` value, in order (empty for most responses: no allocation).
    pub set_cookies: Vec<String>,
}

fn bad(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidData, msg.to_owned())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `hay` contains `needle` (an empty needle always matches).
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || find(hay, needle).is_some()
}

/// The string value of `"key":"…"` in a flat JSON body, without a JSON parser.
pub fn json_str<'a>(body: &'a [u8], key: &str) -> Option<&'a str> {
    let marker = format!("\"{key}\":\"");
    let start = find(body, marker.as_bytes())? + marker.len();
    let len = body[start..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&body[start..start + len]).ok()
}

/// `GET path` with keep-alive.
pub fn get(host: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n").into_bytes()
}

/// `POST path` with a form body and an optional `Authorization` value.
pub fn post_form(host: &str, path: &str, authorization: Option<&str>, body: &str) -> Vec<u8> {
    let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n{auth}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic_auth(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", enc(id), enc(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

/// Form-url-encodes one value.
pub fn form_value(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream, buf: Vec::with_capacity(16 * 1024) })
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        if self.buf.len() > MAX_RESPONSE {
            return Err(bad("response too large"));
        }
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(Error::new(ErrorKind::UnexpectedEof, "connection closed by the server"));
        }
        Ok(())
    }

    /// Sends one request and reads its whole response.
    pub async fn send(&mut self, request: &[u8]) -> std::io::Result<Response> {
        self.stream.write_all(request).await?;
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|_| bad("non-UTF-8 head"))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok()).ok_or_else(|| bad("status"))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        let (mut location, mut set_cookies) = (None, Vec::new());
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().map_err(|_| bad("content-length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            } else if name.eq_ignore_ascii_case("location") {
                location = Some(value.to_owned());
            } else if name.eq_ignore_ascii_case("set-cookie") {
                set_cookies.push(value.to_owned());
            }
        }
        let body_start = head_end + 4;
        let body = if chunked {
            self.read_chunked(body_start).await?
        } else {
            let len = length.ok_or_else(|| bad("no content-length on a keep-alive response"))?;
            if len > MAX_RESPONSE {
                return Err(bad("response too large"));
            }
            while self.buf.len() < body_start + len {
                self.fill().await?;
            }
            let body = self.buf[body_start..body_start + len].to_vec();
            self.buf.drain(..body_start + len);
            body
        };
        Ok(Response { status, body, close, location, set_cookies })
    }

    /// Decodes a chunked body that starts at `pos` in the buffer.
    async fn read_chunked(&mut self, mut pos: usize) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf[pos..], b"\r\n") {
                    break pos + i;
                }
                self.fill().await?;
            };
            let size_text = std::str::from_utf8(&self.buf[pos..line_end]).map_err(|_| bad("chunk size"))?;
            let size_hex = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad("chunk size"))?;
            if body.len() + size > MAX_RESPONSE {
                return Err(bad("response too large"));
            }
            let data_start = line_end + 2;
            // The chunk, then its CRLF (for the last chunk: the empty trailer line).
            while self.buf.len() < data_start + size + 2 {
                self.fill().await?;
            }
            body.extend_from_slice(&self.buf[data_start..data_start + size]);
            pos = data_start + size + 2;
            if size == 0 {
                self.buf.drain(..pos);
                return Ok(body);
            }
        }
    }
}
