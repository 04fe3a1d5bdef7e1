//! Sealed streams and sealed boxes: round trips at every size boundary, every kind of
//! tampering, and no plaintext in any ciphertext.

use std::io::{self, Read, Write};

use evident_seal::{
    CHUNK_SIZE, CommitmentSalt, DataKey, FieldError, ObjectId, STREAM_HEADER_LEN, StreamDecryptor, StreamEncryptor,
    StreamError, TAG_LEN, commit, decrypt_stream, encrypt_stream, open_field, open_salt, seal_field, seal_salt,
    sealed_stream_len,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const SEALED_CHUNK: usize = CHUNK_SIZE + TAG_LEN;

fn id(text: &str) -> ObjectId {
    ObjectId::parse(text).unwrap()
}

fn data_key(byte: u8) -> DataKey {
    DataKey::from_bytes([byte; 32])
}

/// Distinct bytes at every position, so that a reordering or a shift would show.
fn content(length: usize) -> Vec<u8> {
    (0..length).map(|i| (i % 251) as u8 ^ (i / 251) as u8).collect()
}

fn seal(key: &DataKey, object: &ObjectId, plaintext: &[u8]) -> Vec<u8> {
    let mut sealed = Vec::new();
    assert_eq!(encrypt_stream(key, object, plaintext, &mut sealed).unwrap(), plaintext.len() as u64);
    sealed
}

fn open(key: &DataKey, object: &ObjectId, sealed: &[u8]) -> Result<Vec<u8>, StreamError> {
    let mut plaintext = Vec::new();
    decrypt_stream(key, object, sealed, &mut plaintext).map(|_| plaintext)
}

/// The same through the `Read` interface, with a small read buffer.
fn open_by_reading(key: &DataKey, object: &ObjectId, sealed: &[u8]) -> Result<Vec<u8>, StreamError> {
    let mut decryptor = StreamDecryptor::new(key, object, sealed)?;
    let mut plaintext = Vec::new();
    let mut buffer = [0u8; 1000];
    loop {
        match decryptor.read(&mut buffer) {
            Ok(0) => return Ok(plaintext),
            Ok(count) => plaintext.extend_from_slice(&buffer[..count]),
            Err(error) => return Err(StreamError::from_io(error)),
        }
    }
}

const SIZES: [usize; 9] = [
    0,
    1,
    CHUNK_SIZE - 1,
    CHUNK_SIZE,
    CHUNK_SIZE + 1,
    2 * CHUNK_SIZE - 1,
    2 * CHUNK_SIZE,
    2 * CHUNK_SIZE + 1,
    5 * CHUNK_SIZE + 12_345,
];

#[test]
fn every_size_boundary_round_trips_through_both_interfaces() {
    let (key, object) = (data_key(1), id("itm_sizes"));
    for size in SIZES {
        let plaintext = content(size);
        let sealed = seal(&key, &object, &plaintext);
        assert_eq!(sealed.len() as u64, sealed_stream_len(size as u64), "size {size}");
        assert_eq!(open(&key, &object, &sealed).unwrap(), plaintext, "size {size}");
        assert_eq!(open_by_reading(&key, &object, &sealed).unwrap(), plaintext, "size {size}");

        // Written in odd pieces through `Write`, the stream has the same length and content.
        let mut encryptor = StreamEncryptor::new(&key, &object, Vec::new()).unwrap();
        for piece in plaintext.chunks(7_777) {
            encryptor.write_all(piece).unwrap();
        }
        let (written, length) = encryptor.finish().unwrap();
        assert_eq!((written.len(), length), (sealed.len(), size as u64));
        assert_eq!(open(&key, &object, &written).unwrap(), plaintext);
        assert_ne!(written, sealed, "every stream has a fresh nonce prefix");
    }
}

/// The sealed bytes of a stream of three chunks (the last one partial), and its parts.
struct ThreeChunks {
    key: DataKey,
    object: ObjectId,
    plaintext: Vec<u8>,
    sealed: Vec<u8>,
}

fn three_chunks() -> ThreeChunks {
    let (key, object) = (data_key(2), id("itm_tamper"));
    let plaintext = content(2 * CHUNK_SIZE + 500);
    let sealed = seal(&key, &object, &plaintext);
    ThreeChunks { key, object, plaintext, sealed }
}

fn chunk_start(index: usize) -> usize {
    STREAM_HEADER_LEN + index * SEALED_CHUNK
}

fn both_fail(stream: &ThreeChunks, sealed: &[u8]) -> StreamError {
    let by_reading = open_by_reading(&stream.key, &stream.object, sealed).unwrap_err();
    let error = open(&stream.key, &stream.object, sealed).unwrap_err();
    assert_eq!(error.to_string(), by_reading.to_string());
    error
}

#[test]
fn truncation_is_reported_at_chunk_boundaries_and_inside_chunks() {
    let stream = three_chunks();
    assert_eq!(open(&stream.key, &stream.object, &stream.sealed).unwrap(), stream.plaintext);
    for (cut, expect_truncated_at) in [(chunk_start(2), Some(2)), (chunk_start(1), Some(1)), (chunk_start(0), Some(0))]
    {
        let error = both_fail(&stream, &stream.sealed[..cut]);
        assert!(
            matches!(error, StreamError::Truncated { index } if Some(index) == expect_truncated_at),
            "{cut}: {error}"
        );
        assert!(error.to_string().contains("cut short"), "{error}");
    }
    // Cut inside a chunk: the shortened chunk no longer authenticates; cut inside a tag's
    // worth of bytes: the chunk is missing.
    let inside = [(chunk_start(1) + 100, 1), (stream.sealed.len() - 1, 2)];
    for (cut, chunk) in inside {
        let error = both_fail(&stream, &stream.sealed[..cut]);
        assert!(matches!(error, StreamError::ChunkAltered { index } if index == chunk), "{cut}: {error}");
    }
    let error = both_fail(&stream, &stream.sealed[..chunk_start(2) + 5]);
    assert!(matches!(error, StreamError::Truncated { index: 2 }), "{error}");
    let error = both_fail(&stream, &stream.sealed[..30]);
    assert!(matches!(error, StreamError::NotSealedStream(_)), "{error}");
    assert!(matches!(open(&stream.key, &stream.object, &[]), Err(StreamError::NotSealedStream(_))));
}

#[test]
fn appended_bytes_are_reported() {
    // After a full final chunk the reader can tell exactly: bytes follow the final chunk.
    let (key, object) = (data_key(3), id("itm_append"));
    let mut sealed = seal(&key, &object, &content(2 * CHUNK_SIZE));
    sealed.push(0);
    let error = open(&key, &object, &sealed).unwrap_err();
    assert!(matches!(error, StreamError::TrailingData { index: 1 }), "{error}");
    assert!(error.to_string().contains("appended"), "{error}");
    // A whole extra chunk from another stream of the same object and key.
    let mut sealed = seal(&key, &object, &content(CHUNK_SIZE));
    let other = seal(&key, &object, &content(CHUNK_SIZE));
    sealed.extend_from_slice(&other[STREAM_HEADER_LEN..]);
    assert!(matches!(open(&key, &object, &sealed), Err(StreamError::TrailingData { index: 0 })));
    // After a partial final chunk the bytes join that chunk, which then fails.
    let stream = three_chunks();
    let mut sealed = stream.sealed.clone();
    sealed.extend_from_slice(b"more");
    assert!(matches!(both_fail(&stream, &sealed), StreamError::ChunkAltered { index: 2 }));
}

#[test]
fn reordered_or_foreign_chunks_are_reported() {
    let stream = three_chunks();
    let mut swapped = stream.sealed.clone();
    let (first, rest) = swapped[chunk_start(0)..].split_at_mut(SEALED_CHUNK);
    first.swap_with_slice(&mut rest[..SEALED_CHUNK]);
    assert!(matches!(both_fail(&stream, &swapped), StreamError::ChunkAltered { index: 0 }));

    // Chunk 1 of another stream of the same object under the same key.
    let other = seal(&stream.key, &stream.object, &stream.plaintext);
    let mut spliced = stream.sealed.clone();
    spliced[chunk_start(1)..chunk_start(2)].copy_from_slice(&other[chunk_start(1)..chunk_start(2)]);
    assert!(matches!(both_fail(&stream, &spliced), StreamError::ChunkAltered { index: 1 }));

    // A chunk dropped from the middle.
    let mut dropped = stream.sealed[..chunk_start(1)].to_vec();
    dropped.extend_from_slice(&stream.sealed[chunk_start(2)..]);
    assert!(matches!(both_fail(&stream, &dropped), StreamError::ChunkAltered { index: 1 }));
}

#[test]
fn a_flipped_bit_anywhere_is_reported() {
    let stream = three_chunks();
    let positions = [
        (0, "magic"),
        (7, "version"),
        (8, "prefix"),
        (23, "prefix"),
        (24, "commitment"),
        (55, "commitment"),
        (chunk_start(0), "chunk"),
        (chunk_start(1) - 1, "tag"),
        (chunk_start(1) + 1000, "chunk"),
        (chunk_start(2) + 499, "chunk"),
        (stream.sealed.len() - 1, "tag"),
    ];
    for (position, region) in positions {
        for bit in [0x01u8, 0x80] {
            let mut flipped = stream.sealed.clone();
            flipped[position] ^= bit;
            let error = both_fail(&stream, &flipped);
            let expected = match region {
                "magic" | "version" => matches!(error, StreamError::NotSealedStream(_)),
                "prefix" | "commitment" => matches!(error, StreamError::WrongKey { .. }),
                _ => matches!(error, StreamError::ChunkAltered { .. }),
            };
            assert!(expected, "byte {position} ({region}): {error}");
        }
    }
}

#[test]
fn the_wrong_key_or_object_is_reported_before_any_chunk() {
    let stream = three_chunks();
    let error = open(&data_key(9), &stream.object, &stream.sealed).unwrap_err();
    assert!(matches!(error, StreamError::WrongKey { .. }), "{error}");
    assert!(error.to_string().contains("wrong data key"), "{error}");
    let error = open(&stream.key, &id("itm_other"), &stream.sealed).unwrap_err();
    assert!(matches!(&error, StreamError::WrongKey { object } if object.as_str() == "itm_other"), "{error}");
    assert!(StreamDecryptor::new(&data_key(9), &stream.object, stream.sealed.as_slice()).is_err());
}

#[test]
fn a_stream_dropped_without_finish_reads_as_cut_short() {
    let (key, object) = (data_key(4), id("itm_unfinished"));
    let mut sealed = Vec::new();
    {
        let mut encryptor = StreamEncryptor::new(&key, &object, &mut sealed).unwrap();
        encryptor.write_all(&content(3 * CHUNK_SIZE)).unwrap();
    }
    assert_eq!(sealed.len(), STREAM_HEADER_LEN + 2 * SEALED_CHUNK);
    assert!(matches!(open(&key, &object, &sealed), Err(StreamError::Truncated { index: 2 })));
}

#[test]
fn a_failed_reader_stays_failed() {
    let stream = three_chunks();
    let mut flipped = stream.sealed.clone();
    flipped[chunk_start(1) + 3] ^= 1;
    let mut decryptor = StreamDecryptor::new(&stream.key, &stream.object, flipped.as_slice()).unwrap();
    let mut first = vec![0u8; CHUNK_SIZE];
    decryptor.read_exact(&mut first).unwrap();
    assert_eq!(first, stream.plaintext[..CHUNK_SIZE], "chunk 0 is authentic and is returned");
    let error = decryptor.read(&mut [0u8; 10]).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert!(matches!(StreamError::from_io(error), StreamError::ChunkAltered { index: 1 }));
    assert!(decryptor.read(&mut [0u8; 10]).is_err());
}

/// A reader that hands out one byte at a time and is interrupted between bytes.
struct Trickle<'a> {
    bytes: &'a [u8],
    interrupt: bool,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "signal"));
        }
        let Some((first, rest)) = self.bytes.split_first() else { return Ok(0) };
        if out.is_empty() {
            return Ok(0);
        }
        out[0] = *first;
        self.bytes = rest;
        Ok(1)
    }
}

#[test]
fn short_and_interrupted_reads_are_handled() {
    let (key, object) = (data_key(5), id("itm_trickle"));
    let plaintext = content(CHUNK_SIZE + 3);
    let sealed = seal(&key, &object, &plaintext);
    let mut out = Vec::new();
    decrypt_stream(&key, &object, Trickle { bytes: &sealed, interrupt: false }, &mut out).unwrap();
    assert_eq!(out, plaintext);
    let mut resealed = Vec::new();
    encrypt_stream(&key, &object, Trickle { bytes: &plaintext, interrupt: false }, &mut resealed).unwrap();
    assert_eq!(open(&key, &object, &resealed).unwrap(), plaintext);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

const CANARIES: [&str; 3] = ["CANARY-witness-Zhang-Wei-7731", "金丝雀证人张伟七七三一", "كانارىيە گۇۋاھچى ئابدۇرېھىم"];

#[test]
fn no_plaintext_or_its_digest_appears_in_any_sealed_form() {
    let (key, object) = (data_key(6), id("itm_canary"));
    let mut testimony = Vec::new();
    for round in 0..2000 {
        testimony.extend_from_slice(CANARIES[round % 3].as_bytes());
        testimony.extend_from_slice(b" | ");
    }
    let sealed = seal(&key, &object, &testimony);
    let field = seal_field(&key, &object, "name", CANARIES.join(" / ").as_bytes()).unwrap();
    let salt = CommitmentSalt::generate().unwrap();
    let sealed_salt = seal_salt(&key, &object, "file.txt", &salt).unwrap();
    let digest: [u8; 32] = Sha256::digest(&testimony).into();
    let commitment = commit(&object, "file.txt", &salt, &digest, testimony.len() as u64).unwrap();

    for (what, bytes) in [("stream", &sealed), ("field", &field), ("salt", &sealed_salt)] {
        for canary in CANARIES {
            assert!(!contains(bytes, canary.as_bytes()), "{what} holds a canary");
            // Any 12-byte window of the canary, in case a mode leaked partial blocks.
            for window in canary.as_bytes().windows(12) {
                assert!(!contains(bytes, window), "{what} holds part of a canary");
            }
        }
        assert!(!contains(bytes, &digest), "{what} holds the plaintext digest");
        assert!(!contains(bytes, salt.as_bytes()), "{what} holds the salt in the clear");
        assert!(!contains(bytes, &[6u8; 32]), "{what} holds the data key");
    }
    assert_ne!(commitment.as_bytes(), &digest);
    // Errors name the object, never the content.
    let error = open(&data_key(7), &object, &sealed).unwrap_err().to_string();
    assert!(CANARIES.iter().all(|canary| !error.contains(canary)), "{error}");
}

#[test]
fn sealed_fields_and_salts_are_bound_to_record_field_and_key() {
    let (key, record) = (data_key(8), id("per_01m8nc7ppa0ab4phx04gx7dp93"));
    let value = CANARIES[1].as_bytes();
    let sealed = seal_field(&key, &record, "name", value).unwrap();
    assert_eq!(sealed.len(), value.len() + evident_seal::SEALED_FIELD_OVERHEAD);
    assert_eq!(open_field(&key, &record, "name", &sealed).unwrap().as_slice(), value);
    assert_ne!(seal_field(&key, &record, "name", value).unwrap(), sealed, "fresh nonce every time");

    let open_failed = |result: Result<_, FieldError>| matches!(result, Err(FieldError::OpenFailed { .. }));
    assert!(open_failed(open_field(&data_key(9), &record, "name", &sealed)));
    assert!(open_failed(open_field(&key, &id("per_other"), "name", &sealed)));
    assert!(open_failed(open_field(&key, &record, "home_town", &sealed)));
    for position in [8, 31, 32, sealed.len() - 17, sealed.len() - 1] {
        let mut flipped = sealed.clone();
        flipped[position] ^= 0x40;
        assert!(open_failed(open_field(&key, &record, "name", &flipped)), "byte {position}");
    }
    let mut other_version = sealed.clone();
    other_version[7] = 2;
    assert!(matches!(open_field(&key, &record, "name", &other_version), Err(FieldError::Malformed { .. })));
    assert!(matches!(open_field(&key, &record, "name", &sealed[..47]), Err(FieldError::Malformed { .. })));
    // A field box is not a salt box, and the other way round.
    assert!(matches!(open_salt(&key, &record, "name", &sealed), Err(FieldError::Malformed { .. })));
    let salt = CommitmentSalt::generate().unwrap();
    let sealed_salt = seal_salt(&key, &record, "name", &salt).unwrap();
    assert!(matches!(open_field(&key, &record, "name", &sealed_salt), Err(FieldError::Malformed { .. })));
    assert_eq!(open_salt(&key, &record, "name", &sealed_salt).unwrap().as_bytes(), salt.as_bytes());

    assert!(matches!(seal_field(&key, &record, "", value), Err(FieldError::InvalidName(_))));
    assert!(matches!(seal_field(&key, &record, "a\nb", value), Err(FieldError::InvalidName(_))));
    let empty = seal_field(&key, &record, "note", b"").unwrap();
    assert!(open_field(&key, &record, "note", &empty).unwrap().is_empty());
    let too_large = vec![0u8; 16 * 1024 * 1024 + 1];
    assert!(matches!(seal_field(&key, &record, "note", &too_large), Err(FieldError::TooLarge(_))));
}

#[test]
fn commitments_hide_with_the_salt_and_bind_everything_else() {
    let object = id("itm_commit");
    let digest: [u8; 32] = Sha256::digest(b"a guessable name").into();
    let salt = CommitmentSalt::generate().unwrap();
    let base = commit(&object, "file.txt", &salt, &digest, 16).unwrap();
    // A guesser without the salt gets a different value for the right guess.
    let unsalted = commit(&object, "file.txt", &CommitmentSalt::from_bytes([0; 32]), &digest, 16).unwrap();
    assert_ne!(base, unsalted);
    assert_ne!(base, commit(&object, "file.txt", &CommitmentSalt::generate().unwrap(), &digest, 16).unwrap());
    assert_ne!(base, commit(&id("itm_commit2"), "file.txt", &salt, &digest, 16).unwrap());
    assert_ne!(base, commit(&object, "file.pdf", &salt, &digest, 16).unwrap());
    assert_ne!(base, commit(&object, "file.txt", &salt, &digest, 17).unwrap());
    assert_ne!(base, commit(&object, "file.txt", &salt, &[0; 32], 16).unwrap());
    assert_eq!(base, commit(&object, "file.txt", &salt, &digest, 16).unwrap());
    assert_eq!(evident_seal::Commitment::parse(&base.to_string()).unwrap(), base);
    assert!(evident_seal::Commitment::parse(&base.to_string().to_uppercase()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn streams_round_trip(
        plaintext in proptest::collection::vec(any::<u8>(), 0..(3 * CHUNK_SIZE + 100)),
        piece in 1usize..100_000,
        key_byte in any::<u8>(),
    ) {
        let (key, object) = (data_key(key_byte), id("itm_prop"));
        let mut encryptor = StreamEncryptor::new(&key, &object, Vec::new()).unwrap();
        for part in plaintext.chunks(piece) {
            encryptor.write_all(part).unwrap();
        }
        let (sealed, length) = encryptor.finish().unwrap();
        prop_assert_eq!(length, plaintext.len() as u64);
        prop_assert_eq!(sealed.len() as u64, sealed_stream_len(plaintext.len() as u64));
        prop_assert_eq!(&open(&key, &object, &sealed).unwrap(), &plaintext);
    }

    #[test]
    fn any_single_byte_change_is_caught(
        length in 0usize..(2 * CHUNK_SIZE + 10),
        position_seed in any::<usize>(),
        flip in 1u8..=255,
    ) {
        let (key, object) = (data_key(11), id("itm_flip"));
        let mut sealed = seal(&key, &object, &content(length));
        let position = position_seed % sealed.len();
        sealed[position] ^= flip;
        prop_assert!(open(&key, &object, &sealed).is_err());
    }

    #[test]
    fn fields_round_trip(value in proptest::collection::vec(any::<u8>(), 0..2000), name in "[a-z_]{1,20}") {
        let (key, record) = (data_key(12), id("per_prop"));
        let sealed = seal_field(&key, &record, &name, &value).unwrap();
        let opened = open_field(&key, &record, &name, &sealed).unwrap();
        prop_assert_eq!(opened.as_slice(), value.as_slice());
    }
}

/// `decrypt_stream` works on batches of chunks across threads: on a stream of many
/// batches, every kind of damage at and around batch boundaries (chunks 31, 32, 33, 63,
/// 64, ...) is reported exactly as the one-chunk-at-a-time reader reports it.
#[test]
fn damage_around_batch_boundaries_is_reported_as_the_serial_reader_does() {
    let (key, object) = (data_key(7), id("itm_batches"));
    let plaintext = content(70 * CHUNK_SIZE + 777);
    let sealed = seal(&key, &object, &plaintext);
    let chunks = 71;
    assert_eq!(open(&key, &object, &sealed).unwrap(), plaintext);
    let same = |damaged: &[u8], what: &str| -> String {
        let parallel = open(&key, &object, damaged).unwrap_err().to_string();
        let serial = open_by_reading(&key, &object, damaged).unwrap_err().to_string();
        assert_eq!(parallel, serial, "{what}");
        parallel
    };
    for index in [0, 1, 31, 32, 33, 63, 64, 65, 69, 70] {
        let start = chunk_start(index);
        let mut flipped = sealed.clone();
        flipped[start + 9] ^= 0x20;
        assert!(same(&flipped, &format!("flip in {index}")).contains(&format!("chunk {index}")));
        if index < chunks - 1 {
            let cut = same(&sealed[..chunk_start(index + 1)], &format!("cut after {index}"));
            assert!(cut.contains("cut short"), "{cut}");
            let mut dropped = sealed[..start].to_vec();
            dropped.extend_from_slice(&sealed[chunk_start(index + 1)..]);
            same(&dropped, &format!("drop {index}"));
            let mut swapped = sealed[..start].to_vec();
            swapped.extend_from_slice(&sealed[chunk_start(index + 1)..chunk_start(index + 2).min(sealed.len())]);
            swapped.extend_from_slice(&sealed[start..chunk_start(index + 1)]);
            swapped.extend_from_slice(&sealed[chunk_start(index + 2).min(sealed.len())..]);
            same(&swapped, &format!("swap {index}"));
        }
    }
    let mut appended = sealed.clone();
    appended.extend_from_slice(&sealed[chunk_start(5)..chunk_start(6)]);
    same(&appended, "appended chunk");
    let mut one_more_byte = sealed.clone();
    one_more_byte.push(0);
    same(&one_more_byte, "one byte appended");
    // Exactly two batches, the second ending the stream with a full chunk.
    let exact = content(64 * CHUNK_SIZE);
    let sealed_exact = seal(&key, &object, &exact);
    assert_eq!(open(&key, &object, &sealed_exact).unwrap(), exact);
    assert_eq!(open_by_reading(&key, &object, &sealed_exact).unwrap(), exact);
}
