//! Compressibility: a response's zstd-compressed size, as the `density`
//! module docs define it.

use std::cell::RefCell;

/// zstd level used for [`Density::compressed_bytes`](super::Density::compressed_bytes).
pub const ZSTD_LEVEL: i32 = 3;

/// zstd's largest block; an incompressible text is stored in raw blocks.
const ZSTD_BLOCK_MAX: u64 = 128 * 1024;
/// A thread keeps its output buffer between calls unless it grew past this.
const KEEP_BUFFER: usize = 1 << 20;

thread_local! {
    static COMPRESSOR: RefCell<Option<(zstd::bulk::Compressor<'static>, Vec<u8>)>> =
        const { RefCell::new(None) };
}

/// Compressed size of `data` as the `density` module docs define it: the
/// blocks of a level-3 zstd frame, without frame header and checksum; 0 for
/// no data.
/// Reuses one compression context per thread (the output is the same as a
/// fresh context's). Should zstd ever fail, the size of storing the data in
/// raw blocks is returned (zstd's own worst case), so the call never panics.
pub fn compressed_size(data: &[u8]) -> u64 {
    if data.is_empty() {
        return 0;
    }
    let reused = COMPRESSOR
        .try_with(|cell| {
            let mut slot = cell.try_borrow_mut().ok()?;
            if slot.is_none() {
                *slot = Some((zstd::bulk::Compressor::new(ZSTD_LEVEL).ok()?, Vec::new()));
            }
            let (compressor, buf) = slot.as_mut()?;
            buf.clear();
            buf.reserve(zstd::compress_bound(data.len()));
            let size = compressor
                .compress_to_buffer(data, buf)
                .ok()
                .and_then(|n| buf.get(..n))
                .map(block_bytes);
            if buf.capacity() > KEEP_BUFFER {
                *buf = Vec::new();
            }
            size
        })
        .ok()
        .flatten();
    reused
        .or_else(|| {
            zstd::bulk::compress(data, ZSTD_LEVEL)
                .ok()
                .map(|frame| block_bytes(&frame))
        })
        .unwrap_or_else(|| raw_block_bytes(data.len() as u64))
}

/// Bytes of a zstd frame after its header and before its checksum.
fn block_bytes(frame: &[u8]) -> u64 {
    let Some(&descriptor) = frame.get(4) else {
        return 0;
    };
    let single_segment = descriptor & 0x20 != 0;
    let dict_id = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
    let content_size = match descriptor >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let header = 4 + 1 + usize::from(!single_segment) + dict_id + content_size;
    let checksum = if descriptor & 0x04 != 0 { 4 } else { 0 };
    frame.len().saturating_sub(header + checksum) as u64
}

/// Raw blocks holding `len` bytes: the data plus a 3-byte header per block.
fn raw_block_bytes(len: u64) -> u64 {
    let blocks = len.div_ceil(ZSTD_BLOCK_MAX).max(1);
    len.saturating_add(blocks.saturating_mul(3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::density::Density;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn compressibility_orders_repetitive_below_random() {
        let repetitive = "All work and no play makes Jack a dull boy.\n".repeat(100);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let random: String = (0..repetitive.len())
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b"abcdefghijklmnopqrstuvwxyz ,.\n"[(x % 30) as usize])
            })
            .collect();
        let rep = Density::measure(&repetitive).compressibility().unwrap();
        let rnd = Density::measure(&random).compressibility().unwrap();
        assert!(rep < dec("0.05"), "{rep}");
        assert!(rnd > dec("0.5"), "{rnd}");
        assert_eq!(Density::measure(&repetitive).distinct_lines, 1);
    }

    #[test]
    fn compressed_size_definition() {
        assert_eq!(compressed_size(b""), 0);
        // One byte: a single 3-byte block header plus the byte.
        assert_eq!(compressed_size(b"x"), 4);
        // The parser: zstd's frame of nothing is magic (4) + descriptor (1)
        // + 1-byte content size + one empty last block (3 bytes).
        let empty = zstd::bulk::compress(b"", 3).unwrap();
        assert_eq!((empty.len(), block_bytes(&empty)), (9, 3));
        // A reused context gives the one-shot size, whatever came before.
        let text = "The quick brown fox jumps over the lazy dog. ".repeat(50);
        let one_shot = block_bytes(&zstd::bulk::compress(text.as_bytes(), 3).unwrap());
        compressed_size(&[7u8; 5000]);
        assert_eq!(compressed_size(text.as_bytes()), one_shot);
        assert_eq!(Density::measure(&text).compressed_bytes, one_shot);
        // Incompressible data costs at most the raw-block bound (3 blocks).
        let mut x = 88172645463325252u64;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let size = compressed_size(&noise);
        assert!(size > 290_000 && size <= raw_block_bytes(300_000), "{size}");
        assert_eq!(raw_block_bytes(300_000), 300_009);
    }
}
