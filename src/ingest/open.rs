//! Opening an input and undoing compression, decided by magic bytes rather
//! than file names (exports get renamed; stdin has no name).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::{Arc, OnceLock};

use xxhash_rust::xxh3::Xxh3;

use super::Input;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const BUF: usize = 256 * 1024;

/// A buffered input; concrete so callers can see whether data is buffered
/// (a live pipe is processed as soon as it goes quiet).
pub type Reader = BufReader<Box<dyn Read + Send>>;

/// Size and xxh3-128 of an input's stored bytes, set when it has been read
/// to its end (not when a run stopped early).
pub type Fingerprint = Arc<OnceLock<(u64, u128)>>;

/// Hashes the bytes that pass, for [`Fingerprint`]. xxh3 runs at many GB/s,
/// so this costs a run nothing it would notice.
struct Hashing<R> {
    inner: R,
    hasher: Xxh3,
    bytes: u64,
    done: Fingerprint,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            let _ = self.done.set((self.bytes, self.hasher.digest128()));
        }
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

pub fn open(input: &Input) -> io::Result<(Reader, Fingerprint)> {
    let done = Fingerprint::default();
    let hashing = |inner: Box<dyn Read + Send>| -> Box<dyn Read + Send> {
        Box::new(Hashing {
            inner,
            hasher: Xxh3::new(),
            bytes: 0,
            done: done.clone(),
        })
    };
    let (raw, capacity): (Box<dyn Read + Send>, usize) = match input {
        Input::Stdin => (hashing(Box::new(io::stdin())), BUF),
        Input::File(p) => {
            let f = File::open(p)?;
            // Agent logs are thousands of files of a few KB: a buffer the
            // size of the file reads it in one call and spares allocating
            // (and faulting in) a full-size buffer per file.
            let len = f.metadata().map_or(BUF as u64, |m| m.len());
            let capacity = usize::try_from(len).map_or(BUF, |l| l.saturating_add(1));
            (hashing(Box::new(f)), capacity.clamp(4096, BUF))
        }
    };
    Ok((decompress_with(raw, capacity)?, done))
}

pub fn decompress(raw: Box<dyn Read + Send>) -> io::Result<Reader> {
    decompress_with(raw, BUF)
}

fn decompress_with(raw: Box<dyn Read + Send>, capacity: usize) -> io::Result<Reader> {
    let mut r = BufReader::with_capacity(capacity, raw);
    let head = fill_at_least(&mut r, 4)?;
    if head.starts_with(GZIP_MAGIC) {
        let d: Box<dyn Read + Send> = Box::new(flate2::bufread::MultiGzDecoder::new(r));
        Ok(BufReader::with_capacity(BUF, d))
    } else if head.starts_with(ZSTD_MAGIC) {
        let d: Box<dyn Read + Send> = Box::new(zstd::stream::read::Decoder::with_buffer(r)?);
        Ok(BufReader::with_capacity(BUF, d))
    } else {
        Ok(r)
    }
}

/// Peek at least `n` bytes (fewer at end of input) without consuming them.
/// A single `fill_buf` may return fewer bytes on a pipe.
fn fill_at_least(r: &mut BufReader<Box<dyn Read + Send>>, n: usize) -> io::Result<Vec<u8>> {
    let buf = r.fill_buf()?;
    if buf.len() >= n || buf.is_empty() {
        return Ok(buf[..buf.len().min(n)].to_vec());
    }
    // Rare: a pipe delivered 1–3 bytes. Read them out and chain them back.
    let mut head = buf.to_vec();
    let consumed = head.len();
    r.consume(consumed);
    while head.len() < n {
        let more = r.fill_buf()?;
        if more.is_empty() {
            break;
        }
        let take = more.len().min(n - head.len());
        head.extend_from_slice(&more[..take]);
        r.consume(take);
    }
    let prefix = head.clone();
    let inner = std::mem::replace(r, BufReader::new(Box::new(io::empty())));
    *r = BufReader::with_capacity(BUF, Box::new(io::Cursor::new(prefix).chain(inner)));
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(bytes: Vec<u8>) -> String {
        let mut s = String::new();
        decompress(Box::new(io::Cursor::new(bytes)))
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    #[test]
    fn plain_gzip_and_zstd() {
        let text = "{\"a\":1}\n{\"a\":2}\n";
        assert_eq!(read_all(text.as_bytes().to_vec()), text);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        assert_eq!(read_all(gz.finish().unwrap()), text);
        let zs = zstd::stream::encode_all(text.as_bytes(), 3).unwrap();
        assert_eq!(read_all(zs), text);
        assert_eq!(read_all(Vec::new()), "");
        assert_eq!(read_all(b"x".to_vec()), "x");
    }

    /// A reader that hands out one byte per read, like a slow pipe.
    struct Trickle(io::Cursor<Vec<u8>>);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(1);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn magic_split_across_reads() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"hello").unwrap();
        let mut s = String::new();
        decompress(Box::new(Trickle(io::Cursor::new(gz.finish().unwrap()))))
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "hello");
    }
}
