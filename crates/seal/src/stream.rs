//! Sealed streams: file content of any size, encrypted in 64 KiB chunks.
//!
//! Version 1 (`docs/sealing.md` has every byte):
//!
//! ```text
//! header, 56 bytes:
//!   0   8   magic "evseal" 'S' 0x01
//!   8   16  nonce prefix (random per stream)
//!   24  32  key commitment: SHA-256("evident-seal/1 stream-key" 0x00 || data key || header[0..24] || len16(id) || id)
//! chunks, in order, each:
//!   ciphertext of 65,536 plaintext bytes (the last chunk: 0 to 65,536) || 16-byte tag
//! ```
//!
//! Chunk `i` is XChaCha20-Poly1305 with nonce `prefix || i as 7 bytes big-endian ||
//! last` (`last` is 0x01 for the final chunk, else 0x00) and associated data
//! `header || len16(id) || id`. So each chunk is bound to its stream, its object, its
//! position and whether it ends the stream: a reordered, dropped, appended or changed
//! chunk fails, and so does a stream cut at a chunk boundary.

use std::fmt;
use std::io::{self, Read, Write};

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::ids::{ObjectId, push_with_length};
use crate::wrap::DataKey;
use crate::{FORMAT_VERSION, MAGIC, fill_random};

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Bytes of Poly1305 tag after each chunk.
pub const TAG_LEN: usize = 16;

/// Bytes of stream header.
pub const STREAM_HEADER_LEN: usize = 56;

const KIND_STREAM: u8 = b'S';
const KEY_COMMITMENT_LABEL: &[u8] = b"evident-seal/1 stream-key\0";
/// Chunk indexes are 7 bytes in the nonce.
const MAX_CHUNKS: u64 = 1 << 56;

/// The length of the sealed stream of `plaintext_len` bytes: the header, the bytes, and a
/// tag per chunk (an empty plaintext is one empty chunk).
pub fn sealed_stream_len(plaintext_len: u64) -> u64 {
    let chunks = plaintext_len.div_ceil(CHUNK_SIZE as u64).max(1);
    STREAM_HEADER_LEN as u64 + plaintext_len + chunks * TAG_LEN as u64
}

/// Why a sealed stream could not be written or read. The messages never include content.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Reading or writing the underlying bytes failed.
    #[error("sealed stream I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The bytes do not start like a sealed stream.
    #[error("not a sealed stream: {0}")]
    NotSealedStream(String),
    /// The key commitment does not match: the data key is wrong, the stream belongs to
    /// another object, or its header was changed.
    #[error(
        "the sealed stream does not open with this key for {object}: wrong data key, a stream of another object, \
         or a changed header"
    )]
    WrongKey {
        /// The object it was opened for.
        object: ObjectId,
    },
    /// A chunk does not authenticate.
    #[error(
        "chunk {index} of the sealed stream does not authenticate: the stream was changed, reordered, cut inside a chunk, \
         or had bytes appended"
    )]
    ChunkAltered {
        /// The chunk's index (from 0).
        index: u64,
    },
    /// The stream ends before its final chunk.
    #[error("the sealed stream was cut short: it ends before chunk {index}, and the chunk before is not the final one")]
    Truncated {
        /// The index of the first missing chunk.
        index: u64,
    },
    /// Bytes follow the final chunk.
    #[error("bytes follow the final chunk ({index}) of the sealed stream: something was appended")]
    TrailingData {
        /// The final chunk's index.
        index: u64,
    },
    /// More chunks than the nonce can count (over 4 EiB).
    #[error("the stream is longer than the sealed stream format allows")]
    TooLong,
}

impl StreamError {
    /// The stream error inside an `io::Error` returned by [`StreamDecryptor`]'s or
    /// [`StreamEncryptor`]'s `Read`/`Write`, or the I/O error itself.
    pub fn from_io(error: io::Error) -> StreamError {
        if error.get_ref().is_some_and(|inner| inner.is::<StreamError>()) {
            match error.into_inner().map(|inner| inner.downcast::<StreamError>()) {
                Some(Ok(stream_error)) => *stream_error,
                Some(Err(other)) => StreamError::Io(io::Error::other(other)),
                None => StreamError::Io(io::Error::other("unknown stream error")),
            }
        } else {
            StreamError::Io(error)
        }
    }

    fn into_io(self) -> io::Error {
        match self {
            StreamError::Io(error) => error,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// The per-stream state shared by the writer and the reader.
struct StreamCipher {
    aead: XChaCha20Poly1305,
    prefix: [u8; 16],
    associated_data: Vec<u8>,
}

impl StreamCipher {
    fn new(key: &DataKey, object: &ObjectId, header: &[u8; STREAM_HEADER_LEN]) -> Self {
        let mut prefix = [0u8; 16];
        prefix.copy_from_slice(&header[8..24]);
        let mut associated_data = Vec::with_capacity(STREAM_HEADER_LEN + 2 + object.as_str().len());
        associated_data.extend_from_slice(header);
        push_with_length(&mut associated_data, object.as_str().as_bytes());
        StreamCipher { aead: key.aead(), prefix, associated_data }
    }

    fn nonce(&self, index: u64, last: bool) -> XNonce {
        let mut nonce = [0u8; 24];
        nonce[..16].copy_from_slice(&self.prefix);
        nonce[16..23].copy_from_slice(&index.to_be_bytes()[1..]);
        nonce[23] = u8::from(last);
        XNonce::from(nonce)
    }

    fn seal(&self, index: u64, last: bool, chunk: &mut [u8]) -> Result<Tag, StreamError> {
        if index >= MAX_CHUNKS {
            return Err(StreamError::TooLong);
        }
        self.aead
            .encrypt_inout_detached(&self.nonce(index, last), &self.associated_data, chunk.into())
            .map_err(|_| StreamError::TooLong)
    }

    /// Decrypts in place; on failure the buffer is unchanged.
    fn open(&self, index: u64, last: bool, chunk: &mut [u8], tag: &Tag) -> bool {
        index < MAX_CHUNKS
            && self
                .aead
                .decrypt_inout_detached(&self.nonce(index, last), &self.associated_data, chunk.into(), tag)
                .is_ok()
    }
}

fn key_commitment(key: &DataKey, object: &ObjectId, header_start: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(KEY_COMMITMENT_LABEL);
    hasher.update(key.bytes());
    hasher.update(header_start);
    let mut id = Vec::with_capacity(2 + object.as_str().len());
    push_with_length(&mut id, object.as_str().as_bytes());
    hasher.update(&id);
    hasher.finalize().into()
}

fn stream_header(key: &DataKey, object: &ObjectId, prefix: [u8; 16]) -> [u8; STREAM_HEADER_LEN] {
    let mut header = [0u8; STREAM_HEADER_LEN];
    header[..6].copy_from_slice(MAGIC);
    header[6] = KIND_STREAM;
    header[7] = FORMAT_VERSION;
    header[8..24].copy_from_slice(&prefix);
    let commitment = key_commitment(key, object, &header[..24]);
    header[24..].copy_from_slice(&commitment);
    header
}

/// Encrypts a stream: write plaintext to it, then call [`StreamEncryptor::finish`]. The
/// header goes out when it is made; each chunk goes out once the next byte after it is
/// written (so that the final chunk can be marked) or at `finish`. A stream dropped
/// without `finish` has no final chunk and reads as cut short.
///
/// Write the ciphertext through a buffered writer if the target is a file: each chunk is
/// one `write_all`.
pub struct StreamEncryptor<W: Write> {
    writer: W,
    cipher: StreamCipher,
    buffer: Zeroizing<Vec<u8>>,
    index: u64,
    plaintext_len: u64,
}

impl<W: Write> fmt::Debug for StreamEncryptor<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamEncryptor").field("chunks_written", &self.index).finish_non_exhaustive()
    }
}

impl<W: Write> StreamEncryptor<W> {
    /// Starts a sealed stream of `object`'s content under its data key, with a fresh
    /// random nonce prefix, and writes the header.
    pub fn new(key: &DataKey, object: &ObjectId, writer: W) -> Result<Self, StreamError> {
        let mut prefix = [0u8; 16];
        fill_random(&mut prefix, "a stream nonce").map_err(|e| StreamError::Io(io::Error::other(e)))?;
        Self::with_nonce_prefix(key, object, writer, prefix)
    }

    /// As [`StreamEncryptor::new`] with a given nonce prefix: for test vectors only. A
    /// prefix must never be used twice with one data key.
    #[doc(hidden)]
    pub fn with_nonce_prefix(
        key: &DataKey,
        object: &ObjectId,
        mut writer: W,
        prefix: [u8; 16],
    ) -> Result<Self, StreamError> {
        let header = stream_header(key, object, prefix);
        writer.write_all(&header)?;
        Ok(StreamEncryptor {
            writer,
            cipher: StreamCipher::new(key, object, &header),
            buffer: Zeroizing::new(Vec::with_capacity(CHUNK_SIZE + TAG_LEN)),
            index: 0,
            plaintext_len: 0,
        })
    }

    fn emit(&mut self, last: bool) -> Result<(), StreamError> {
        let tag = self.cipher.seal(self.index, last, &mut self.buffer)?;
        self.buffer.extend_from_slice(&tag);
        self.writer.write_all(&self.buffer)?;
        self.buffer.clear();
        self.index += 1;
        Ok(())
    }

    fn push(&mut self, mut bytes: &[u8]) -> Result<(), StreamError> {
        while !bytes.is_empty() {
            if self.buffer.len() == CHUNK_SIZE {
                self.emit(false)?;
            }
            let take = (CHUNK_SIZE - self.buffer.len()).min(bytes.len());
            self.buffer.extend_from_slice(&bytes[..take]);
            self.plaintext_len += take as u64;
            bytes = &bytes[take..];
        }
        Ok(())
    }

    /// Writes the final chunk, flushes, and returns the writer and the plaintext length.
    pub fn finish(mut self) -> Result<(W, u64), StreamError> {
        self.emit(true)?;
        self.writer.flush()?;
        Ok((self.writer, self.plaintext_len))
    }
}

impl<W: Write> Write for StreamEncryptor<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.push(bytes).map_err(StreamError::into_io)?;
        Ok(bytes.len())
    }

    /// Flushes the underlying writer; the buffered chunk waits for more bytes or
    /// `finish`.
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Decrypts a sealed stream as a `Read`. Every chunk is authenticated before any of its
/// bytes are returned; the stream as a whole is known to be complete only when `read`
/// returns 0 (end of stream) without an error. A consumer must not act on the content
/// (index it, show it as complete) before that. Errors are `io::Error`s of kind
/// `InvalidData` that hold a [`StreamError`] ([`StreamError::from_io`]).
pub struct StreamDecryptor<R: Read> {
    reader: R,
    cipher: StreamCipher,
    buffer: Zeroizing<Vec<u8>>,
    /// Plaintext of the current chunk not yet returned: `buffer[position..end]`.
    position: usize,
    end: usize,
    index: u64,
    lookahead: Option<u8>,
    finished: bool,
    failed: bool,
}

impl<R: Read> fmt::Debug for StreamDecryptor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamDecryptor").field("chunks_read", &self.index).finish_non_exhaustive()
    }
}

impl<R: Read> StreamDecryptor<R> {
    /// Reads the header of a sealed stream of `object` and checks that `key` opens it.
    pub fn new(key: &DataKey, object: &ObjectId, mut reader: R) -> Result<Self, StreamError> {
        let mut header = [0u8; STREAM_HEADER_LEN];
        let got = read_full(&mut reader, &mut header)?;
        if got < 8 || &header[..6] != MAGIC || header[6] != KIND_STREAM {
            return Err(StreamError::NotSealedStream("it does not start with the stream magic \"evsealS\"".to_owned()));
        }
        if header[7] != FORMAT_VERSION {
            return Err(StreamError::NotSealedStream(format!(
                "format version {} is not known (this build reads 1)",
                header[7]
            )));
        }
        if got < STREAM_HEADER_LEN {
            return Err(StreamError::NotSealedStream(format!(
                "{got} bytes, shorter than the {STREAM_HEADER_LEN}-byte header"
            )));
        }
        if key_commitment(key, object, &header[..24])[..] != header[24..] {
            return Err(StreamError::WrongKey { object: object.clone() });
        }
        Ok(StreamDecryptor {
            reader,
            cipher: StreamCipher::new(key, object, &header),
            buffer: Zeroizing::new(vec![0u8; CHUNK_SIZE + TAG_LEN]),
            position: 0,
            end: 0,
            index: 0,
            lookahead: None,
            finished: false,
            failed: false,
        })
    }

    /// Fills `out` from the lookahead byte and the reader until full or end of input.
    fn fill(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        if let (Some(byte), Some(first)) = (self.lookahead, out.first_mut()) {
            *first = byte;
            self.lookahead = None;
            filled = 1;
        }
        Ok(filled + read_full(&mut self.reader, &mut out[filled..])?)
    }

    /// Reads and authenticates the next chunk into `buffer[..end]`.
    fn next_chunk(&mut self) -> Result<(), StreamError> {
        let mut buffer = std::mem::take(&mut self.buffer);
        let result = self.read_chunk(&mut buffer);
        self.buffer = buffer;
        result
    }

    fn read_chunk(&mut self, buffer: &mut [u8]) -> Result<(), StreamError> {
        let index = self.index;
        let got = self.fill(buffer)?;
        if got < TAG_LEN {
            return Err(StreamError::Truncated { index });
        }
        let at_end = if got == buffer.len() {
            let mut byte = [0u8; 1];
            match read_full(&mut self.reader, &mut byte)? {
                0 => true,
                _ => {
                    self.lookahead = Some(byte[0]);
                    false
                }
            }
        } else {
            true
        };
        let length = got - TAG_LEN;
        let (chunk, rest) = buffer.split_at_mut(length);
        let tag = Tag::try_from(&rest[..TAG_LEN]).map_err(|_| StreamError::ChunkAltered { index })?;
        if at_end {
            if self.cipher.open(index, true, chunk, &tag) {
                self.finished = true;
            } else if length == CHUNK_SIZE && self.cipher.open(index, false, chunk, &tag) {
                chunk.fill(0);
                return Err(StreamError::Truncated { index: index + 1 });
            } else {
                return Err(StreamError::ChunkAltered { index });
            }
        } else if !self.cipher.open(index, false, chunk, &tag) {
            if self.cipher.open(index, true, chunk, &tag) {
                chunk.fill(0);
                return Err(StreamError::TrailingData { index });
            }
            return Err(StreamError::ChunkAltered { index });
        }
        self.position = 0;
        self.end = length;
        self.index += 1;
        Ok(())
    }

    /// Returns the next authenticated plaintext bytes (empty at the end of the stream).
    fn next_bytes(&mut self) -> Result<&[u8], StreamError> {
        while self.position == self.end && !self.finished {
            self.next_chunk()?;
        }
        Ok(&self.buffer[self.position..self.end])
    }
}

impl<R: Read> Read for StreamDecryptor<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the sealed stream already failed to authenticate"));
        }
        let available = match self.next_bytes() {
            Ok(bytes) => bytes,
            Err(error) => {
                self.failed = true;
                self.buffer.fill(0);
                return Err(error.into_io());
            }
        };
        let count = available.len().min(out.len());
        out[..count].copy_from_slice(&available[..count]);
        self.position += count;
        Ok(count)
    }
}

/// Reads until `out` is full or the input ends; returns the count.
fn read_full(reader: &mut impl Read, out: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < out.len() {
        match reader.read(&mut out[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Encrypts everything `plaintext` yields into a sealed stream on `sealed` for `object`;
/// returns the plaintext length. Memory use is one chunk.
pub fn encrypt_stream(
    key: &DataKey,
    object: &ObjectId,
    mut plaintext: impl Read,
    sealed: impl Write,
) -> Result<u64, StreamError> {
    let mut encryptor = StreamEncryptor::new(key, object, sealed)?;
    let mut buffer = Zeroizing::new(vec![0u8; CHUNK_SIZE]);
    loop {
        let count = read_full(&mut plaintext, &mut buffer)?;
        if count == 0 {
            break;
        }
        encryptor.push(&buffer[..count])?;
    }
    Ok(encryptor.finish()?.1)
}

/// Chunks [`decrypt_stream`] reads and authenticates at a time (2 MiB of plaintext).
const BATCH_CHUNKS: usize = 32;

/// Bytes of one full chunk as stored: ciphertext and tag.
const STORED_CHUNK: usize = CHUNK_SIZE + TAG_LEN;

/// Decrypts the sealed stream on `sealed` for `object` into `plaintext`; returns the
/// plaintext length. Bytes are written batch by batch as they authenticate, so on an
/// error `plaintext` holds a prefix that must be discarded.
///
/// The chunks of a batch are authenticated and decrypted on all available cores (each
/// chunk has its own nonce, so they are independent); every error is the one
/// [`StreamDecryptor`] would report at the same place.
pub fn decrypt_stream(
    key: &DataKey,
    object: &ObjectId,
    sealed: impl Read,
    mut plaintext: impl Write,
) -> Result<u64, StreamError> {
    let mut decryptor = StreamDecryptor::new(key, object, sealed)?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    // Grown as the stream needs it (a small file never pays for a whole
    // batch); it only ever holds ciphertext while it grows.
    let capacity = BATCH_CHUNKS * STORED_CHUNK;
    let mut batch: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(STORED_CHUNK + 1));
    let mut total = 0u64;
    loop {
        batch.clear();
        batch.extend(decryptor.lookahead.take());
        let wanted = (capacity - batch.len()) as u64;
        (&mut decryptor.reader).take(wanted).read_to_end(&mut batch)?;
        let got = batch.len();
        let at_end = got < capacity || {
            let mut byte = [0u8; 1];
            match read_full(&mut decryptor.reader, &mut byte)? {
                0 => true,
                _ => {
                    decryptor.lookahead = Some(byte[0]);
                    false
                }
            }
        };
        let (full, rest) = (got / STORED_CHUNK, got % STORED_CHUNK);
        // The chunks that cannot be the last, and where the last one is.
        let (middle, last) = match (at_end, rest, full) {
            (false, _, _) => (full, None),
            (true, 0, 0) => return Err(StreamError::Truncated { index: decryptor.index }),
            (true, 0, _) => (full - 1, Some((full - 1) * STORED_CHUNK..got)),
            (true, _, _) => (full, Some(full * STORED_CHUNK..got)),
        };
        open_middle_chunks(&decryptor.cipher, decryptor.index, &mut batch[..middle * STORED_CHUNK], workers)?;
        for chunk in batch[..middle * STORED_CHUNK].chunks(STORED_CHUNK) {
            plaintext.write_all(&chunk[..CHUNK_SIZE])?;
        }
        total += (middle * CHUNK_SIZE) as u64;
        decryptor.index += middle as u64;
        let Some(range) = last else { continue };
        let index = decryptor.index;
        let stored = &mut batch[range];
        if stored.len() < TAG_LEN {
            return Err(StreamError::Truncated { index });
        }
        let length = stored.len() - TAG_LEN;
        let (chunk, tag) = stored.split_at_mut(length);
        let tag = Tag::try_from(&tag[..]).map_err(|_| StreamError::ChunkAltered { index })?;
        if decryptor.cipher.open(index, true, chunk, &tag) {
            plaintext.write_all(chunk)?;
            total += length as u64;
            break;
        } else if length == CHUNK_SIZE && decryptor.cipher.open(index, false, chunk, &tag) {
            chunk.fill(0);
            return Err(StreamError::Truncated { index: index + 1 });
        }
        return Err(StreamError::ChunkAltered { index });
    }
    plaintext.flush()?;
    Ok(total)
}

/// Authenticates and decrypts in place the full, not-last chunks in `stored` (chunk
/// `first` onwards), split among `workers` threads. On failure: the error for the
/// lowest failing chunk, as the serial reader would report it.
fn open_middle_chunks(cipher: &StreamCipher, first: u64, stored: &mut [u8], workers: usize) -> Result<(), StreamError> {
    let chunks = stored.len() / STORED_CHUNK;
    if chunks == 0 {
        return Ok(());
    }
    let open_run = |run: &mut [u8], run_first: u64| -> Option<u64> {
        for (offset, chunk) in run.chunks_mut(STORED_CHUNK).enumerate() {
            let index = run_first + offset as u64;
            let (body, tag) = chunk.split_at_mut(CHUNK_SIZE);
            let opened = Tag::try_from(&tag[..]).is_ok_and(|tag| cipher.open(index, false, body, &tag));
            if !opened {
                return Some(index);
            }
        }
        None
    };
    let per_worker = chunks.div_ceil(workers.min(chunks));
    let failed = std::thread::scope(|scope| {
        let mut runs = stored.chunks_mut(per_worker * STORED_CHUNK).enumerate();
        let mine = runs.next();
        let handles: Vec<_> =
            runs.map(|(run, bytes)| scope.spawn(move || open_run(bytes, first + (run * per_worker) as u64))).collect();
        let mut failed: Vec<u64> = mine.and_then(|(_, bytes)| open_run(bytes, first)).into_iter().collect();
        for handle in handles {
            match handle.join() {
                Ok(result) => failed.extend(result),
                Err(_) => failed.push(first),
            }
        }
        failed.into_iter().min()
    });
    let Some(index) = failed else { return Ok(()) };
    let start = (index - first) as usize * STORED_CHUNK;
    let (body, tag) = stored[start..start + STORED_CHUNK].split_at_mut(CHUNK_SIZE);
    let tag = Tag::try_from(&tag[..]).map_err(|_| StreamError::ChunkAltered { index })?;
    if cipher.open(index, true, body, &tag) {
        body.fill(0);
        return Err(StreamError::TrailingData { index });
    }
    Err(StreamError::ChunkAltered { index })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_is_prefix_counter_and_last_flag() {
        let key = DataKey::from_bytes([1; 32]);
        let object = ObjectId::parse("itm_x").unwrap();
        let header = stream_header(&key, &object, [0xab; 16]);
        let cipher = StreamCipher::new(&key, &object, &header);
        let nonce = cipher.nonce(0x0001_0203_0405_0607, true);
        assert_eq!(&nonce[..16], &[0xab; 16]);
        assert_eq!(&nonce[16..], &[1, 2, 3, 4, 5, 6, 7, 1]);
        assert_eq!(cipher.nonce(0, false)[23], 0);
    }

    #[test]
    fn sealed_length_counts_one_tag_per_chunk_and_one_for_empty() {
        assert_eq!(sealed_stream_len(0), 56 + 16);
        assert_eq!(sealed_stream_len(1), 56 + 1 + 16);
        assert_eq!(sealed_stream_len(CHUNK_SIZE as u64), 56 + CHUNK_SIZE as u64 + 16);
        assert_eq!(sealed_stream_len(CHUNK_SIZE as u64 + 1), 56 + CHUNK_SIZE as u64 + 1 + 32);
    }
}
