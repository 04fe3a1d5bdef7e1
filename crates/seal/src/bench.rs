//! The sealing benchmark (for `evident bench seal`): encrypt and decrypt throughput of the
//! stream format beside plain SHA-256 of the same bytes, in the same run.
//!
//! SHA-256 is the peer because it is what ingest of an unsealed item costs per byte;
//! sealed ingest costs SHA-256 (for the commitment) plus encryption, so
//! [`SealBenchReport::serial_ingest_ratio`] and
//! [`SealBenchReport::pipelined_ingest_ratio`] bound the aim (sealed against
//! unsealed throughput, at least 0.8) for CPU-bound ingest. Not a timed test: nothing
//! here asserts a speed.

use std::io::{self, Write};
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::ids::ObjectId;
use crate::stream::{StreamDecryptor, StreamEncryptor, StreamError, sealed_stream_len};
use crate::wrap::DataKey;

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealBenchConfig {
    /// Bytes of pseudo-random plaintext, held in memory with their sealed copy (so about
    /// twice this much memory is used).
    pub bytes: usize,
}

impl Default for SealBenchConfig {
    fn default() -> Self {
        SealBenchConfig { bytes: 256 * 1024 * 1024 }
    }
}

/// What was measured, in seconds of wall-clock time for the whole input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SealBenchReport {
    /// Plaintext bytes.
    pub bytes: u64,
    /// Sealed stream bytes.
    pub sealed_bytes: u64,
    /// SHA-256 of the plaintext.
    pub sha256_seconds: f64,
    /// Encrypting the plaintext into a sealed stream in memory.
    pub encrypt_seconds: f64,
    /// Decrypting the sealed stream (and checking every byte against the input).
    pub decrypt_seconds: f64,
}

fn megabytes_per_second(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds.max(1e-9)
}

impl SealBenchReport {
    /// SHA-256 throughput, MB/s.
    pub fn sha256_mb_per_s(&self) -> f64 {
        megabytes_per_second(self.bytes, self.sha256_seconds)
    }

    /// Encryption throughput, MB/s of plaintext.
    pub fn encrypt_mb_per_s(&self) -> f64 {
        megabytes_per_second(self.bytes, self.encrypt_seconds)
    }

    /// Decryption throughput, MB/s of plaintext.
    pub fn decrypt_mb_per_s(&self) -> f64 {
        megabytes_per_second(self.bytes, self.decrypt_seconds)
    }

    /// Sealed against unsealed ingest when both run on one thread: SHA-256 alone against
    /// SHA-256 followed by encryption, `sha / (sha + encrypt)`.
    pub fn serial_ingest_ratio(&self) -> f64 {
        self.sha256_seconds / (self.sha256_seconds + self.encrypt_seconds).max(1e-9)
    }

    /// Sealed against unsealed ingest when hashing and encryption run on two threads (as
    /// ingest already hashes on a second thread while it writes): the slower of the two
    /// against hashing alone, `min(1, encrypt MB/s / SHA-256 MB/s)`. The disk, which
    /// bounds large-file ingest on this machine near 350 MB/s, is left out of both.
    pub fn pipelined_ingest_ratio(&self) -> f64 {
        (self.sha256_seconds / self.encrypt_seconds.max(1e-9)).min(1.0)
    }
}

/// A writer that checks what is written against the expected bytes instead of keeping it.
struct CompareSink<'a> {
    expected: &'a [u8],
    offset: usize,
    same: bool,
}

impl Write for CompareSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let end = self.offset + bytes.len();
        self.same &= self.expected.get(self.offset..end) == Some(bytes);
        self.offset = end;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Deterministic incompressible-looking bytes (xorshift64*), so runs compare.
fn pseudo_random_bytes(length: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut bytes = Vec::with_capacity(length + 8);
    while bytes.len() < length {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        bytes.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    bytes.truncate(length);
    bytes
}

/// Runs the benchmark: SHA-256, encryption and decryption of the same bytes, one after the
/// other on this thread. Fails if the decrypted bytes differ from the input.
pub fn bench_seal(config: &SealBenchConfig) -> Result<SealBenchReport, StreamError> {
    let plaintext = pseudo_random_bytes(config.bytes);
    let key = DataKey::generate().map_err(|e| StreamError::Io(io::Error::other(e.to_string())))?;
    let object = ObjectId::parse("itm_bench").map_err(|e| StreamError::Io(io::Error::other(e.to_string())))?;

    let started = Instant::now();
    let digest = Sha256::digest(&plaintext);
    let sha256_seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(digest);

    let capacity = usize::try_from(sealed_stream_len(plaintext.len() as u64)).unwrap_or(plaintext.len());
    let started = Instant::now();
    let mut encryptor = StreamEncryptor::new(&key, &object, Vec::with_capacity(capacity))?;
    encryptor.write_all(&plaintext).map_err(StreamError::from_io)?;
    let (sealed, _) = encryptor.finish()?;
    let encrypt_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut sink = CompareSink { expected: &plaintext, offset: 0, same: true };
    let mut decryptor = StreamDecryptor::new(&key, &object, sealed.as_slice())?;
    io::copy(&mut decryptor, &mut sink).map_err(StreamError::from_io)?;
    let decrypt_seconds = started.elapsed().as_secs_f64();
    if !sink.same || sink.offset != plaintext.len() {
        return Err(StreamError::Io(io::Error::other("the benchmark's decrypted bytes differ from its input")));
    }

    Ok(SealBenchReport {
        bytes: plaintext.len() as u64,
        sealed_bytes: sealed.len() as u64,
        sha256_seconds,
        encrypt_seconds,
        decrypt_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_runs_on_a_tiny_input_and_checks_its_round_trip() {
        let report = bench_seal(&SealBenchConfig { bytes: 200_000 }).unwrap();
        assert_eq!(report.bytes, 200_000);
        assert_eq!(report.sealed_bytes, sealed_stream_len(200_000));
        for figure in [report.sha256_mb_per_s(), report.encrypt_mb_per_s(), report.decrypt_mb_per_s()] {
            assert!(figure.is_finite() && figure > 0.0, "{report:?}");
        }
        let serial = report.serial_ingest_ratio();
        assert!(serial > 0.0 && serial < 1.0, "{report:?}");
        let pipelined = report.pipelined_ingest_ratio();
        assert!(pipelined > 0.0 && pipelined <= 1.0 && pipelined >= serial, "{report:?}");
    }

    #[test]
    fn pseudo_random_bytes_are_deterministic_and_of_the_asked_length() {
        assert_eq!(pseudo_random_bytes(13).len(), 13);
        assert_eq!(pseudo_random_bytes(100), pseudo_random_bytes(100));
        assert_ne!(pseudo_random_bytes(16)[..8], pseudo_random_bytes(16)[8..]);
    }
}
