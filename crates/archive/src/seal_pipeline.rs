//! Encryption of a sealed item's file on its own thread, so that sealed
//! ingest runs at the slowest of reading, encrypting and hashing + writing
//! rather than at their sum (issue 6's benchmark: sealed ingest at least 0.8
//! of unsealed).
//!
//! A bounded pipeline: the caller's thread reads plaintext from the source
//! (the source need not be `Send`), an encryption thread hashes the
//! plaintext (for the commitment) and seals it with the STREAM encryptor,
//! and the ciphertext comes back to the caller's thread as a [`Read`], which
//! the object draft writes while its own second thread hashes it for the
//! inventory. At most [`IN_FLIGHT`] chunks of a MiB are between the threads;
//! plaintext buffers are wiped when dropped and recycled only between the
//! two threads of this pipeline.

use std::io::{self, Read, Write};
use std::sync::mpsc;

use evident_seal::{DataKey, ObjectId, StreamEncryptor};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The plaintext read per message.
const CHUNK: usize = 1024 * 1024;

/// Files of at most this many bytes are encrypted inline: a thread would
/// cost more than it saves.
pub(crate) const PIPELINE_MIN_BYTES: u64 = CHUNK as u64;

/// Plaintext chunks sent to the encryption thread and not yet returned as
/// ciphertext.
const IN_FLIGHT: usize = 3;

/// The plaintext's SHA-256 and size.
pub(crate) type PlaintextDigest = ([u8; 32], u64);

/// Runs `consume` on the sealed stream of `source` (its plaintext limited to
/// `limit` bytes), with encryption on a second thread. Returns what `consume`
/// returned and, if the whole source was sealed, the plaintext's digest and
/// size (`Err` says why not: a read error, the limit, an encryption error;
/// `consume` then saw an error from its reader too).
pub(crate) fn encrypt_pipelined<T>(
    key: &DataKey,
    object: &ObjectId,
    source: &mut dyn Read,
    limit: u64,
    consume: impl FnOnce(&mut dyn Read) -> T,
) -> (T, Result<PlaintextDigest, String>) {
    std::thread::scope(|scope| {
        let (to_encrypt, plaintext) = mpsc::sync_channel::<Zeroizing<Vec<u8>>>(IN_FLIGHT);
        let (to_reader, ciphertext) = mpsc::channel::<Vec<u8>>();
        let (recycle, recycled) = mpsc::channel::<Zeroizing<Vec<u8>>>();
        let (spend, spent) = mpsc::channel::<Vec<u8>>();
        let encryptor = scope.spawn(move || encrypt_thread(key, object, plaintext, to_reader, recycle, spent));
        let mut reader = PipeReader {
            source,
            limit,
            to_encrypt: Some(to_encrypt),
            ciphertext,
            recycled,
            in_flight: 0,
            size: 0,
            output: Vec::new(),
            position: 0,
            failed: None,
            ended: false,
            spend,
        };
        let consumed = consume(&mut reader);
        let failed = match reader.failed.take() {
            None if !reader.ended => Some("the sealed stream was not read to its end".to_owned()),
            other => other,
        };
        // Dropping the reader closes the plaintext channel: the encryption
        // thread finishes (or stops, if the consumer gave up early).
        drop(reader);
        let encrypted = encryptor.join().unwrap_or_else(|_| Err("the encryption thread panicked".to_owned()));
        let outcome = match (failed, encrypted) {
            (Some(reason), _) => Err(reason),
            (None, Err(reason)) => Err(reason),
            (None, Ok((digest, size))) => Ok((digest, size)),
        };
        (consumed, outcome)
    })
}

/// A [`Write`] the encryptor fills and the thread drains after each write.
#[derive(Clone, Default)]
struct Collect(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for Collect {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Hashes and seals each plaintext chunk, answering each with exactly one
/// ciphertext message (possibly empty: the encryptor holds back up to one
/// STREAM chunk), and one last message when the plaintext ends.
fn encrypt_thread(
    key: &DataKey,
    object: &ObjectId,
    plaintext: mpsc::Receiver<Zeroizing<Vec<u8>>>,
    to_reader: mpsc::Sender<Vec<u8>>,
    recycle: mpsc::Sender<Zeroizing<Vec<u8>>>,
    spent: mpsc::Receiver<Vec<u8>>,
) -> Result<PlaintextDigest, String> {
    let output = Collect::default();
    // Ciphertext buffers the reader has drained come back, so that no chunk
    // costs a fresh allocation (page faults and regrowth dominate otherwise).
    let fresh = |spent: &mpsc::Receiver<Vec<u8>>| {
        let mut buffer = spent.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK + CHUNK / 8));
        buffer.clear();
        buffer
    };
    *output.0.borrow_mut() = fresh(&spent);
    let mut encryptor = StreamEncryptor::new(key, object, output.clone()).map_err(|e| e.to_string())?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    for chunk in plaintext {
        hasher.update(&chunk[..]);
        size += chunk.len() as u64;
        encryptor.write_all(&chunk).map_err(|e| e.to_string())?;
        let _ = recycle.send(chunk);
        let sealed = std::mem::replace(&mut *output.0.borrow_mut(), fresh(&spent));
        if to_reader.send(sealed).is_err() {
            return Err("the sealed stream's reader stopped".to_owned());
        }
    }
    encryptor.finish().map_err(|e| e.to_string())?;
    let sealed = std::mem::take(&mut *output.0.borrow_mut());
    let _ = to_reader.send(sealed);
    Ok((hasher.finalize().into(), size))
}

/// The ciphertext side, read on the caller's thread; it also feeds the
/// plaintext in.
struct PipeReader<'s> {
    source: &'s mut dyn Read,
    limit: u64,
    /// `None` once the source has ended (closing the channel ends the stream)
    to_encrypt: Option<mpsc::SyncSender<Zeroizing<Vec<u8>>>>,
    ciphertext: mpsc::Receiver<Vec<u8>>,
    recycled: mpsc::Receiver<Zeroizing<Vec<u8>>>,
    /// messages sent whose ciphertext has not come back yet
    in_flight: usize,
    size: u64,
    output: Vec<u8>,
    position: usize,
    /// why the pipeline failed on this side, if it did
    failed: Option<String>,
    /// whether the source was read to its end
    ended: bool,
    /// drained ciphertext buffers, back to the encryption thread
    spend: mpsc::Sender<Vec<u8>>,
}

impl PipeReader<'_> {
    fn fail(&mut self, reason: String) -> io::Error {
        self.to_encrypt = None;
        self.failed.get_or_insert_with(|| reason.clone());
        io::Error::other(reason)
    }

    /// Reads the next plaintext chunk from the source and sends it on;
    /// closes the channel at the end.
    fn feed(&mut self) -> io::Result<()> {
        let mut buffer = self.recycled.try_recv().unwrap_or_else(|_| Zeroizing::new(Vec::with_capacity(CHUNK)));
        buffer.clear();
        buffer.resize(CHUNK, 0);
        let mut filled = 0;
        while filled < CHUNK {
            match self.source.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(count) => filled += count,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.fail(e.to_string())),
            }
        }
        buffer.truncate(filled);
        self.size += filled as u64;
        if self.size > self.limit {
            return Err(self.fail(format!(
                "yields more than its declared {} bytes; refused (corrupt archive or decompression bomb)",
                self.limit
            )));
        }
        if filled == 0 {
            self.to_encrypt = None;
            self.ended = true;
            // the encryptor answers the end of the plaintext with its last message
            self.in_flight += 1;
            return Ok(());
        }
        let Some(sender) = &self.to_encrypt else { return Ok(()) };
        if sender.send(buffer).is_err() {
            return Err(self.fail("the encryption thread stopped".to_owned()));
        }
        self.in_flight += 1;
        Ok(())
    }
}

impl Read for PipeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.position < self.output.len() {
                let n = buf.len().min(self.output.len() - self.position);
                buf[..n].copy_from_slice(&self.output[self.position..self.position + n]);
                self.position += n;
                return Ok(n);
            }
            if let Some(reason) = &self.failed {
                return Err(io::Error::other(reason.clone()));
            }
            // Keep the encryption thread busy: feed while there is room.
            if self.to_encrypt.is_some() && self.in_flight < IN_FLIGHT {
                self.feed()?;
                continue;
            }
            if self.in_flight == 0 {
                return Ok(0);
            }
            match self.ciphertext.recv() {
                Ok(sealed) => {
                    self.in_flight -= 1;
                    let drained = std::mem::replace(&mut self.output, sealed);
                    let _ = self.spend.send(drained);
                    self.position = 0;
                }
                // The encryption thread stopped early: its error is reported
                // by `encrypt_pipelined`.
                Err(_) => return Err(self.fail("the encryption thread stopped".to_owned())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_and_object() -> (DataKey, ObjectId) {
        (DataKey::from_bytes([9; 32]), ObjectId::parse("itm_01jdx4m6q8c1v7yb2k9e3r5t0a").unwrap())
    }

    #[test]
    fn the_pipeline_seals_exactly_what_the_stream_encryptor_does() {
        let (key, object) = key_and_object();
        for len in [0usize, 1, 65_536, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 12_345, 9 * CHUNK] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut source = &plain[..];
            let (sealed, digest) = encrypt_pipelined(&key, &object, &mut source, len as u64, |reader| {
                let mut out = Vec::new();
                reader.read_to_end(&mut out).map(|_| out)
            });
            let sealed = sealed.unwrap();
            let (sha256, size) = digest.unwrap();
            assert_eq!(size, len as u64);
            assert_eq!(sha256, <[u8; 32]>::from(Sha256::digest(&plain)));
            assert_eq!(sealed.len() as u64, evident_seal::sealed_stream_len(len as u64), "{len}");
            let mut opened = Vec::new();
            evident_seal::decrypt_stream(&key, &object, &sealed[..], &mut opened).unwrap();
            assert_eq!(opened, plain, "{len}");
        }
    }

    #[test]
    fn too_much_plaintext_and_read_errors_fail_on_both_sides() {
        let (key, object) = key_and_object();
        let plain = vec![1u8; 2 * CHUNK + 5];
        let mut source = &plain[..];
        let (read, digest) =
            encrypt_pipelined(&key, &object, &mut source, 2 * CHUNK as u64, |reader| io::copy(reader, &mut io::sink()));
        assert!(read.unwrap_err().to_string().contains("more than its declared"));
        assert!(digest.unwrap_err().contains("more than its declared"));

        struct Broken(usize);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk gone"));
                }
                self.0 -= 1;
                buf[0] = 7;
                Ok(1)
            }
        }
        let (read, digest) = encrypt_pipelined(&key, &object, &mut Broken(3 * CHUNK), u64::MAX, |reader| {
            io::copy(reader, &mut io::sink())
        });
        assert!(read.unwrap_err().to_string().contains("disk gone"));
        assert!(digest.unwrap_err().contains("disk gone"));
        // a consumer that stops early leaves no thread behind and no digest
        let plain = vec![2u8; 4 * CHUNK];
        let mut source = &plain[..];
        let (_, digest) = encrypt_pipelined(&key, &object, &mut source, u64::MAX, |reader| {
            let mut first = [0u8; 10];
            reader.read_exact(&mut first)
        });
        assert!(digest.unwrap_err().contains("not read to its end"));
    }
}
