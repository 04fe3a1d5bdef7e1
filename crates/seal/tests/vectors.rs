//! The test vectors of docs/sealing.md. They were computed by an independent
//! implementation of the documented formats (Python: hashlib and `cryptography`'s
//! ChaCha20-Poly1305 with HChaCha20 written from the XChaCha draft), so these tests check
//! that the code and the document agree byte for byte.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use evident_seal::{
    Commitment, CommitmentOpening, CommitmentSalt, DataKey, ObjectId, StreamEncryptor, Unlock, WrappedKey, commit,
    decrypt_stream, open_field, open_keyring, open_salt,
};
use sha2::{Digest, Sha256};

const ARCHIVE: &str = "archive.example.org/evident";
const ITEM: &str = "itm_01jdx4m6q8c1v7yb2k9e3r5t0a";
const RECORD: &str = "per_01m8nc7ppa0ab4phx04gx7dp93";
const CANARY: &str = "Canary 金丝雀 كانارىيە";

const KEY_FILE: &str = "evident-kek/1\narchive: archive.example.org/evident\nkey-id: 44fc471a6c3217bd\n\
                        kek: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
const HEADER: &str = r#"{
  "format": "evident-seal/1",
  "archive": "archive.example.org/evident",
  "kek": {
    "source": "file",
    "key_id": "44fc471a6c3217bd",
    "check": "44fc471a6c3217bd624c392d4783fa72ee8db700db350b26e740dad8c9248848"
  },
  "next": null
}
"#;
const WRAPPED: &str = "65767365616c570144fc471a6c3217bd404142434445464748494a4b4c4d4e4f5051525354555657\
                       f4182753f4c55f31a7ddad9583b14bbda28b9ff7276c65ad5208c77e35391dafed277d28d139a98b732d1c6db8b50fd7";
const STREAM_SHORT: &str = "65767365616c5301808182838485868788898a8b8c8d8e8f727cf3be86071116324b8002ad414366ef898c31ed98e5\
                            b1d8fcd996df6a80e21d9680add5876c3afb575d09a966fa1a1e89a2eab2f859ce152b60f4f2e7";
const STREAM_EMPTY: &str = "65767365616c5301808182838485868788898a8b8c8d8e8f727cf3be86071116324b8002ad414366ef898c31ed98e5\
                            b1d8fcd996df6a80e2e52f71529fb3514a860f98f3ec1ffd41";
const FIELD_BOX: &str = "65767365616c4601606162636465666768696a6b6c6d6e6f7071727374757677ab462e47f708bb282d9071b78f48b4\
                         1957352fcdce3c5fbec7fa8823b34c085cb64343d40087ab551048e5bb097a218121";
const SALT_BOX: &str = "65767365616c430178797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f224c32b5e99b65981fd9b56c9937e26c\
                        232adf00847a1c40bdc2bbb5301df2a1b3285c71fe8093efc45f9c86eceb9e4e";
const COMMIT_FILE: &str = "ad2ed0503abb8706f01e7ea745ee6b1d7b724565e9869084c5719a48e0611cde";
const COMMIT_FIELD: &str = "502f9c275589922e856b34c2983fc9e94fbb49e2d01bead7f1cfa9a688de4046";
const COMMIT_EMPTY: &str = "b0c4e2a0033e225ff89c98142300b5d324ce6da2c2c1979267c949bc7040d065";

fn counting(start: u8) -> [u8; 32] {
    std::array::from_fn(|i| start + i as u8)
}

fn prefix() -> [u8; 16] {
    std::array::from_fn(|i| 0x80 + i as u8)
}

fn sealed_with_prefix(plaintext: &[u8]) -> Vec<u8> {
    let key = DataKey::from_bytes(counting(0x20));
    let object = ObjectId::parse(ITEM).unwrap();
    let mut encryptor = StreamEncryptor::with_nonce_prefix(&key, &object, Vec::new(), prefix()).unwrap();
    encryptor.write_all(plaintext).unwrap();
    encryptor.finish().unwrap().0
}

#[test]
fn streams_match_the_documented_vectors() {
    assert_eq!(hex::encode(sealed_with_prefix(b"hello, witness")), STREAM_SHORT);
    assert_eq!(hex::encode(sealed_with_prefix(b"")), STREAM_EMPTY);
    let long = sealed_with_prefix(&[b'a'; 65_537]);
    assert_eq!(long.len(), 65_625);
    assert_eq!(hex::encode(Sha256::digest(&long)), "0bca8409914c467c121aeb60d33e20518ba1c869f168a5052f05ca6943058215");
}

#[test]
fn commitments_match_the_documented_vectors() {
    let salt = CommitmentSalt::from_bytes(counting(0xa0));
    let item = ObjectId::parse(ITEM).unwrap();
    let record = ObjectId::parse(RECORD).unwrap();
    let hello: [u8; 32] = Sha256::digest(b"hello, witness").into();
    assert_eq!(commit(&item, "file.txt", &salt, &hello, 14).unwrap().to_string(), COMMIT_FILE);
    let canary: [u8; 32] = Sha256::digest(CANARY.as_bytes()).into();
    let field = commit(&record, "name", &salt, &canary, CANARY.len() as u64).unwrap();
    assert_eq!(field.to_string(), COMMIT_FIELD);
    let empty: [u8; 32] = Sha256::digest(b"").into();
    let zero = CommitmentSalt::from_bytes([0; 32]);
    assert_eq!(commit(&item, "file", &zero, &empty, 0).unwrap().to_string(), COMMIT_EMPTY);
}

/// From the documented key file and header alone: open the archive's keyring, unwrap the
/// documented wrapped key, and open every documented sealed value with it.
#[test]
fn the_documented_key_file_and_header_open_every_documented_value() {
    let root = tempfile::tempdir().unwrap();
    let archive_dir = root.path().join("archive");
    fs::create_dir(&archive_dir).unwrap();
    fs::write(archive_dir.join("seal.json"), HEADER).unwrap();
    let key_dir = root.path().join("archive.keys");
    fs::create_dir(&key_dir).unwrap();
    let key_file = key_dir.join("kek");
    fs::write(&key_file, KEY_FILE).unwrap();
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o600)).unwrap();

    let keyring = open_keyring(&archive_dir, &Unlock::KeyFile { path: &key_file }).unwrap();
    assert_eq!(keyring.header().archive, ARCHIVE);
    assert_eq!(keyring.key_id().to_string(), "44fc471a6c3217bd");
    let item = ObjectId::parse(ITEM).unwrap();
    let wrapped = WrappedKey::parse(&hex::decode(WRAPPED).unwrap()).unwrap();
    let key = keyring.unwrap_data_key(&item, &wrapped).unwrap();

    let mut plaintext = Vec::new();
    decrypt_stream(&key, &item, hex::decode(STREAM_SHORT).unwrap().as_slice(), &mut plaintext).unwrap();
    assert_eq!(plaintext, b"hello, witness");
    let mut empty = Vec::new();
    assert_eq!(decrypt_stream(&key, &item, hex::decode(STREAM_EMPTY).unwrap().as_slice(), &mut empty).unwrap(), 0);

    let record = ObjectId::parse(RECORD).unwrap();
    let value = open_field(&key, &record, "name", &hex::decode(FIELD_BOX).unwrap()).unwrap();
    assert_eq!(value.as_slice(), CANARY.as_bytes());

    let salt = open_salt(&key, &item, "file.txt", &hex::decode(SALT_BOX).unwrap()).unwrap();
    let opening = CommitmentOpening {
        object: item.clone(),
        part: "file.txt".to_owned(),
        size: 14,
        sha256: Sha256::digest(b"hello, witness").into(),
        salt,
    };
    assert!(opening.opens(&Commitment::parse(COMMIT_FILE).unwrap()));
    assert!(!opening.opens(&Commitment::parse(COMMIT_EMPTY).unwrap()));
    let json = opening.to_json();
    let parsed = CommitmentOpening::from_json(&json).unwrap();
    assert!(parsed.opens(&Commitment::parse(COMMIT_FILE).unwrap()));
}
