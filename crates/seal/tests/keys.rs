//! The key hierarchy on a real file system: creating, loading and rotating the
//! key-encryption key, its errors, wrapping, and crypto-shredding.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use evident_seal::{
    DataKey, KekSetup, KeyError, Keyring, ObjectId, PassphraseParams, RotateTo, SealHeader, StreamError, Unlock,
    WrappedKey, create_keyring, decrypt_stream, default_key_file, encrypt_stream, open_field, open_keyring, seal_field,
    shred_file,
};

const ARCHIVE: &str = "archive.example.org/evident";

/// Cheap Argon2id for tests (the default takes a quarter of a second per derivation).
const FAST: PassphraseParams = PassphraseParams { memory_kib: 256, iterations: 1, parallelism: 1 };

struct Setup {
    _root: tempfile::TempDir,
    archive_dir: PathBuf,
    key_file: PathBuf,
}

fn setup() -> Setup {
    let root = tempfile::tempdir().unwrap();
    let archive_dir = root.path().join("archive");
    fs::create_dir(&archive_dir).unwrap();
    let key_file = default_key_file(&archive_dir).unwrap();
    Setup { _root: root, archive_dir, key_file }
}

fn root_of(setup: &Setup) -> &Path {
    setup.archive_dir.parent().unwrap()
}

fn with_key_file(setup: &Setup) -> Keyring {
    create_keyring(&setup.archive_dir, ARCHIVE, &KekSetup::KeyFile { path: &setup.key_file }).unwrap()
}

fn open(setup: &Setup) -> Result<Keyring, KeyError> {
    open_keyring(&setup.archive_dir, &Unlock::KeyFile { path: &setup.key_file })
}

fn id(text: &str) -> ObjectId {
    ObjectId::parse(text).unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn key_line(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    text.lines().find_map(|line| line.strip_prefix("kek: ")).unwrap().to_owned()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(files_under(&path)) } else { files.push(path) }
    }
    files
}

#[test]
fn the_default_key_file_is_beside_the_archive_and_private() {
    let setup = setup();
    assert_eq!(setup.key_file, root_of(&setup).canonicalize().unwrap().join("archive.keys").join("kek"));
    let keyring = with_key_file(&setup);
    assert_eq!(mode(&setup.key_file), 0o600);
    assert_eq!(mode(setup.key_file.parent().unwrap()), 0o700);
    assert_eq!(keyring.key_file(), Some(setup.key_file.as_path()));
    let text = fs::read_to_string(&setup.key_file).unwrap();
    assert!(text.starts_with("evident-kek/1\narchive: archive.example.org/evident\nkey-id: "), "{text}");
    assert!(text.contains(&format!("key-id: {}\n", keyring.key_id())));

    let header = SealHeader::load(&setup.archive_dir).unwrap();
    assert_eq!(&header, keyring.header());
    assert_eq!(header.kek.check.key_id(), keyring.key_id());
    // Nothing in the archive directory holds the key, in base64 or raw.
    let encoded = key_line(&setup.key_file);
    let raw = base64_decode(&encoded);
    for file in files_under(&setup.archive_dir) {
        let bytes = fs::read(&file).unwrap();
        assert!(!contains(&bytes, encoded.as_bytes()) && !contains(&bytes, &raw), "{}", file.display());
    }
    let reopened = open(&setup).unwrap();
    assert_eq!(reopened.key_id(), keyring.key_id());
    assert!(!reopened.rotation_in_progress());
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn a_key_file_inside_the_archive_is_refused_on_create_and_on_open() {
    let setup = setup();
    let inside = setup.archive_dir.join("keys").join("kek");
    let error = create_keyring(&setup.archive_dir, ARCHIVE, &KekSetup::KeyFile { path: &inside }).unwrap_err();
    assert!(matches!(error, KeyError::KeyFileInsideArchive { .. }), "{error}");
    assert!(error.to_string().contains("outside the archive directory"), "{error}");
    assert!(!setup.archive_dir.join("keys").exists(), "nothing was created inside the archive");
    assert!(!setup.archive_dir.join("seal.json").exists());

    // Through a symbolic link to the archive, too.
    let link = root_of(&setup).join("alias");
    symlink(&setup.archive_dir, &link).unwrap();
    let through_link = link.join("kek");
    let error = create_keyring(&setup.archive_dir, ARCHIVE, &KekSetup::KeyFile { path: &through_link }).unwrap_err();
    assert!(matches!(error, KeyError::KeyFileInsideArchive { .. }), "{error}");

    with_key_file(&setup);
    let copy = setup.archive_dir.join("kek");
    fs::copy(&setup.key_file, &copy).unwrap();
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o600)).unwrap();
    let error = open_keyring(&setup.archive_dir, &Unlock::KeyFile { path: &copy }).unwrap_err();
    assert!(matches!(error, KeyError::KeyFileInsideArchive { .. }), "{error}");
}

#[test]
fn key_file_errors_are_clear() {
    let setup = setup();
    with_key_file(&setup);
    let good = fs::read(&setup.key_file).unwrap();

    // Missing.
    fs::rename(&setup.key_file, root_of(&setup).join("away")).unwrap();
    let error = open(&setup).unwrap_err();
    assert!(matches!(error, KeyError::KeyFileMissing { .. }), "{error}");
    assert!(error.to_string().contains(&setup.key_file.display().to_string()), "{error}");
    assert!(error.to_string().contains("key backup"), "{error}");

    // Readable by others.
    let write_key = |bytes: &[u8], file_mode: u32| {
        let _ = fs::remove_file(&setup.key_file);
        fs::write(&setup.key_file, bytes).unwrap();
        fs::set_permissions(&setup.key_file, fs::Permissions::from_mode(file_mode)).unwrap();
    };
    write_key(&good, 0o644);
    let error = open(&setup).unwrap_err();
    assert!(matches!(error, KeyError::KeyFilePermissions { mode: 0o644, .. }), "{error}");
    assert!(error.to_string().contains("chmod 600"), "{error}");
    write_key(&good, 0o640);
    assert!(matches!(open(&setup), Err(KeyError::KeyFilePermissions { mode: 0o640, .. })));

    // Wrong size.
    let text = String::from_utf8(good.clone()).unwrap();
    let short =
        text.replace(&key_line(&setup.key_file.with_file_name("kek")), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==");
    write_key(short.as_bytes(), 0o600);
    let error = open(&setup).unwrap_err();
    assert!(matches!(error, KeyError::KeyFileWrongSize { found: 31, .. }), "{error}");
    assert!(error.to_string().contains("32 bytes"), "{error}");

    // Not a key file at all, and a damaged one whose key does not match its key id.
    write_key(b"just some text\n", 0o600);
    assert!(matches!(open(&setup), Err(KeyError::KeyFileMalformed { .. })));
    write_key(&vec![b'x'; 10_000], 0o600);
    assert!(open(&setup).unwrap_err().to_string().contains("10000 bytes"));
    let mut damaged = good.clone();
    let position = damaged.len() - 10;
    damaged[position] = if damaged[position] == b'A' { b'B' } else { b'A' };
    write_key(&damaged, 0o600);
    let error = open(&setup).unwrap_err();
    assert!(error.to_string().contains("damaged"), "{error}");

    // The good file still works, with its line endings changed by a careless copy.
    write_key(text.replace('\n', "\r\n").as_bytes(), 0o600);
    assert!(open(&setup).is_ok());
}

#[test]
fn a_key_file_of_another_archive_is_refused() {
    let first = setup();
    let second = setup();
    with_key_file(&first);
    create_keyring(&second.archive_dir, "other.example.org/evident", &KekSetup::KeyFile { path: &second.key_file })
        .unwrap();
    let error = open_keyring(&first.archive_dir, &Unlock::KeyFile { path: &second.key_file }).unwrap_err();
    assert!(matches!(error, KeyError::NotForThisArchive { .. }), "{error}");
    assert!(error.to_string().contains("other.example.org/evident"), "{error}");

    // The same archive name but a different key (a wrong backup restored).
    let third = setup();
    create_keyring(&third.archive_dir, ARCHIVE, &KekSetup::KeyFile { path: &third.key_file }).unwrap();
    let error = open_keyring(&first.archive_dir, &Unlock::KeyFile { path: &third.key_file }).unwrap_err();
    let KeyError::WrongKey { expected, found, .. } = &error else { panic!("{error}") };
    assert_ne!(expected, found);
    assert!(error.to_string().contains(&expected.to_string()), "{error}");
}

#[test]
fn creating_never_overwrites_a_key_or_a_header() {
    let setup = setup();
    with_key_file(&setup);
    let before = fs::read(&setup.key_file).unwrap();
    let error = create_keyring(&setup.archive_dir, ARCHIVE, &KekSetup::KeyFile { path: &setup.key_file }).unwrap_err();
    assert!(matches!(error, KeyError::AlreadyCreated { .. }), "{error}");

    let other = self::setup();
    fs::create_dir_all(other.key_file.parent().unwrap()).unwrap();
    fs::copy(&setup.key_file, &other.key_file).unwrap();
    let error = create_keyring(&other.archive_dir, ARCHIVE, &KekSetup::KeyFile { path: &other.key_file }).unwrap_err();
    assert!(matches!(error, KeyError::KeyFileExists { .. }), "{error}");
    assert_eq!(fs::read(&other.key_file).unwrap(), before, "the existing key is untouched");
    assert!(!other.archive_dir.join("seal.json").exists());

    let bare = self::setup();
    let error = open(&bare).unwrap_err();
    assert!(matches!(error, KeyError::HeaderMissing { .. }), "{error}");
}

#[test]
fn passphrase_keys_open_with_the_right_passphrase_only() {
    let setup = setup();
    let short = KekSetup::Passphrase { passphrase: "too short", params: FAST };
    assert!(matches!(create_keyring(&setup.archive_dir, ARCHIVE, &short), Err(KeyError::WeakPassphrase { chars: 9 })));
    let passphrase = "correct horse battery staple 马 ئات";
    let keyring =
        create_keyring(&setup.archive_dir, ARCHIVE, &KekSetup::Passphrase { passphrase, params: FAST }).unwrap();
    assert_eq!(keyring.key_file(), None);
    let header = fs::read_to_string(setup.archive_dir.join("seal.json")).unwrap();
    assert!(header.contains("\"source\": \"passphrase\"") && header.contains("\"memory_kib\": 256"), "{header}");
    assert!(!header.contains("horse"));

    let unlock = |passphrase| Unlock::Passphrase { passphrase, next_passphrase: None };
    let reopened = open_keyring(&setup.archive_dir, &unlock(passphrase)).unwrap();
    assert_eq!(reopened.key_id(), keyring.key_id());
    let error = open_keyring(&setup.archive_dir, &unlock("correct horse battery stapler")).unwrap_err();
    assert!(matches!(error, KeyError::WrongPassphrase { which: "current" }), "{error}");
    let error = open_keyring(&setup.archive_dir, &Unlock::KeyFile { path: &setup.key_file }).unwrap_err();
    assert!(matches!(error, KeyError::WrongUnlock { archive_uses: "passphrase", given: "key file" }), "{error}");

    // A wrapped key made under the passphrase KEK opens after reopening.
    let object = id("itm_passphrase");
    let (key, wrapped) = keyring.new_data_key(&object).unwrap();
    let sealed = seal_field(&key, &object, "name", b"Ayshem").unwrap();
    let key = reopened.unwrap_data_key(&object, &wrapped).unwrap();
    assert_eq!(open_field(&key, &object, "name", &sealed).unwrap().as_slice(), b"Ayshem");
}

#[test]
fn a_wrapped_key_is_bound_to_its_object_and_its_archive() {
    let setup = setup();
    let keyring = with_key_file(&setup);
    let (a, b) = (id("itm_a"), id("itm_b"));
    let (_, wrapped) = keyring.new_data_key(&a).unwrap();
    assert_eq!(wrapped.key_id(), keyring.key_id());
    assert!(keyring.unwrap_data_key(&a, &wrapped).is_ok());
    let error = keyring.unwrap_data_key(&b, &wrapped).unwrap_err();
    assert!(matches!(&error, KeyError::UnwrapFailed { object } if object == &b), "{error}");

    for position in [16, 39, 40, 71, 72, 87] {
        let mut bytes = *wrapped.as_bytes();
        bytes[position] ^= 0x01;
        let flipped = WrappedKey::parse(&bytes).unwrap();
        assert!(matches!(keyring.unwrap_data_key(&a, &flipped), Err(KeyError::UnwrapFailed { .. })), "byte {position}");
    }
    let mut bytes = *wrapped.as_bytes();
    bytes[8] ^= 0x01;
    let error = keyring.unwrap_data_key(&a, &WrappedKey::parse(&bytes).unwrap()).unwrap_err();
    assert!(matches!(error, KeyError::UnknownWrappingKey { .. }), "{error}");

    let other = self::setup();
    let other_keyring = with_key_file(&other);
    let error = other_keyring.unwrap_data_key(&a, &wrapped).unwrap_err();
    assert!(error.to_string().contains("another archive"), "{error}");
}

/// One sealed object as an archive would keep it: content as a sealed stream, a sealed
/// field, and the wrapped key in its own file.
struct SealedObject {
    id: ObjectId,
    content: Vec<u8>,
    stream: Vec<u8>,
    field: Vec<u8>,
}

fn seal_objects(keyring: &Keyring, wrapped_dir: &Path, count: usize, first: usize) -> Vec<SealedObject> {
    fs::create_dir_all(wrapped_dir).unwrap();
    (first..first + count)
        .map(|n| {
            let id = id(&format!("itm_{n:04}"));
            let (key, wrapped) = keyring.new_data_key(&id).unwrap();
            fs::write(wrapped_dir.join(id.as_str()), wrapped.as_bytes()).unwrap();
            let content = format!("testimony {n} ").repeat(n * 997 % 9000 + 1).into_bytes();
            let mut stream = Vec::new();
            encrypt_stream(&key, &id, content.as_slice(), &mut stream).unwrap();
            let field = seal_field(&key, &id, "name", format!("witness {n}").as_bytes()).unwrap();
            SealedObject { id, content, stream, field }
        })
        .collect()
}

fn read_wrapped(wrapped_dir: &Path, object: &ObjectId) -> WrappedKey {
    WrappedKey::parse(&fs::read(wrapped_dir.join(object.as_str())).unwrap()).unwrap()
}

fn all_wrapped(wrapped_dir: &Path) -> Vec<WrappedKey> {
    files_under(wrapped_dir).iter().map(|path| WrappedKey::parse(&fs::read(path).unwrap()).unwrap()).collect()
}

fn assert_readable(keyring: &Keyring, wrapped_dir: &Path, objects: &[SealedObject]) {
    for object in objects {
        let key = keyring.unwrap_data_key(&object.id, &read_wrapped(wrapped_dir, &object.id)).unwrap();
        let mut content = Vec::new();
        decrypt_stream(&key, &object.id, object.stream.as_slice(), &mut content).unwrap();
        assert_eq!(content, object.content, "{}", object.id);
        let n = &object.id.as_str()[4..];
        let field = open_field(&key, &object.id, "name", &object.field).unwrap();
        assert_eq!(
            field.as_slice(),
            format!("witness {}", n.trim_start_matches('0').parse::<usize>().unwrap_or(0)).as_bytes()
        );
    }
}

fn rewrap_all(keyring: &Keyring, wrapped_dir: &Path, objects: &[SealedObject]) -> usize {
    let mut rewrapped = 0;
    for object in objects {
        let old = read_wrapped(wrapped_dir, &object.id);
        if let Some(new) = keyring.rewrap(&object.id, &old).unwrap() {
            assert_ne!(new.key_id(), old.key_id());
            fs::write(wrapped_dir.join(object.id.as_str()), new.as_bytes()).unwrap();
            rewrapped += 1;
        }
    }
    rewrapped
}

#[test]
fn rotating_a_key_file_rewraps_keys_only_and_keeps_every_object_readable() {
    let setup = setup();
    let wrapped_dir = root_of(&setup).join("wrapped");
    let mut keyring = with_key_file(&setup);
    let old_id = keyring.key_id();
    let old_key_file = fs::read(&setup.key_file).unwrap();
    let mut objects = seal_objects(&keyring, &wrapped_dir, 12, 0);
    let streams_before: Vec<Vec<u8>> = objects.iter().map(|o| o.stream.clone()).collect();
    let backup_of_old_wrapping = read_wrapped(&wrapped_dir, &objects[0].id);

    assert!(matches!(keyring.rewrap(&objects[0].id, &backup_of_old_wrapping), Err(KeyError::NoRotation)));
    keyring.begin_rotation(&RotateTo::KeyFile).unwrap();
    assert!(keyring.rotation_in_progress());
    let next_file = setup.key_file.with_file_name("kek.next");
    assert_eq!(mode(&next_file), 0o600);
    assert!(matches!(keyring.begin_rotation(&RotateTo::KeyFile), Err(KeyError::RotationInProgress)));
    let new_id = keyring.key_id();
    assert_ne!(new_id, old_id);
    assert_eq!(SealHeader::load(&setup.archive_dir).unwrap().next.map(|next| next.check.key_id()), Some(new_id));

    // Objects sealed during the rotation are wrapped under the new key already.
    objects.extend(seal_objects(&keyring, &wrapped_dir, 3, 100));
    assert_readable(&keyring, &wrapped_dir, &objects);

    // Half re-wrapped: finishing is refused and changes nothing; a reopened keyring
    // (a crash here) reads the mix and can go on.
    rewrap_all(&keyring, &wrapped_dir, &objects[..6]);
    let error = keyring.finish_rotation(&all_wrapped(&wrapped_dir)).unwrap_err();
    assert!(matches!(error, KeyError::RotationIncomplete { remaining: 6, .. }), "{error}");
    assert!(next_file.exists());
    let mut keyring = open(&setup).unwrap();
    assert!(keyring.rotation_in_progress());
    assert_readable(&keyring, &wrapped_dir, &objects);
    assert_eq!(rewrap_all(&keyring, &wrapped_dir, &objects), 6, "only the rest is re-wrapped");
    keyring.finish_rotation(&all_wrapped(&wrapped_dir)).unwrap();

    assert!(!keyring.rotation_in_progress());
    assert_eq!(keyring.key_id(), new_id);
    assert!(!next_file.exists());
    assert_ne!(fs::read(&setup.key_file).unwrap(), old_key_file);
    assert_eq!(mode(&setup.key_file), 0o600);
    let header = SealHeader::load(&setup.archive_dir).unwrap();
    assert_eq!((header.kek.check.key_id(), header.next), (new_id, None));

    // Content was not re-encrypted; everything reads with the new key file alone.
    let streams_after: Vec<Vec<u8>> = objects[..12].iter().map(|o| o.stream.clone()).collect();
    assert_eq!(streams_before, streams_after);
    let reopened = open(&setup).unwrap();
    assert_readable(&reopened, &wrapped_dir, &objects);
    // A copy of a wrapping made before the rotation (a backup) is useless now.
    let error = reopened.unwrap_data_key(&objects[0].id, &backup_of_old_wrapping).unwrap_err();
    assert!(matches!(error, KeyError::UnknownWrappingKey { .. }), "{error}");
    assert!(matches!(keyring.rewrap(&objects[0].id, &backup_of_old_wrapping), Err(KeyError::NoRotation)));
}

#[test]
fn an_interrupted_rotation_is_completed_or_cleaned_up_on_open() {
    let setup = setup();
    let wrapped_dir = root_of(&setup).join("wrapped");
    let mut keyring = with_key_file(&setup);
    let objects = seal_objects(&keyring, &wrapped_dir, 4, 0);
    let header_path = setup.archive_dir.join("seal.json");
    let next_file = setup.key_file.with_file_name("kek.next");
    let old_header = fs::read(&header_path).unwrap();
    let old_key = fs::read(&setup.key_file).unwrap();

    // Stopped after writing kek.next, before the header named it: the stray key is shredded.
    keyring.begin_rotation(&RotateTo::KeyFile).unwrap();
    fs::write(&header_path, &old_header).unwrap();
    let keyring = open(&setup).unwrap();
    assert!(!keyring.rotation_in_progress());
    assert!(!next_file.exists());
    assert_readable(&keyring, &wrapped_dir, &objects);

    // Stopped after the header named the new key as current, with the old key file still in
    // place (or already shredded): the new key is moved into place.
    let mut keyring = keyring;
    keyring.begin_rotation(&RotateTo::KeyFile).unwrap();
    rewrap_all(&keyring, &wrapped_dir, &objects);
    let new_key = fs::read(&next_file).unwrap();
    keyring.finish_rotation(&all_wrapped(&wrapped_dir)).unwrap();
    assert_eq!(fs::read(&setup.key_file).unwrap(), new_key);
    for old_file_left in [true, false] {
        fs::remove_file(&setup.key_file).unwrap();
        if old_file_left {
            fs::write(&setup.key_file, &old_key).unwrap();
            fs::set_permissions(&setup.key_file, fs::Permissions::from_mode(0o600)).unwrap();
        }
        fs::write(&next_file, &new_key).unwrap();
        fs::set_permissions(&next_file, fs::Permissions::from_mode(0o600)).unwrap();
        let reopened = open(&setup).unwrap();
        assert_eq!(fs::read(&setup.key_file).unwrap(), new_key);
        assert!(!next_file.exists());
        assert_readable(&reopened, &wrapped_dir, &objects);
    }

    // During a rotation kek.next is required.
    let mut keyring = open(&setup).unwrap();
    keyring.begin_rotation(&RotateTo::KeyFile).unwrap();
    fs::remove_file(&next_file).unwrap();
    assert!(matches!(open(&setup), Err(KeyError::KeyFileMissing { path }) if path == next_file));
}

#[test]
fn rotating_a_passphrase_needs_both_passphrases_until_it_finishes() {
    let setup = setup();
    let wrapped_dir = root_of(&setup).join("wrapped");
    let (old, new) = ("the first long passphrase", "the second long passphrase");
    let mut keyring =
        create_keyring(&setup.archive_dir, ARCHIVE, &KekSetup::Passphrase { passphrase: old, params: FAST }).unwrap();
    let objects = seal_objects(&keyring, &wrapped_dir, 3, 0);
    let error = keyring.begin_rotation(&RotateTo::KeyFile).unwrap_err();
    assert!(matches!(error, KeyError::RotationChangesSource { .. }), "{error}");
    let error = keyring.begin_rotation(&RotateTo::Passphrase { passphrase: "short", params: FAST }).unwrap_err();
    assert!(matches!(error, KeyError::WeakPassphrase { .. }), "{error}");
    keyring.begin_rotation(&RotateTo::Passphrase { passphrase: new, params: FAST }).unwrap();

    let only_old = Unlock::Passphrase { passphrase: old, next_passphrase: None };
    assert!(matches!(open_keyring(&setup.archive_dir, &only_old), Err(KeyError::NextPassphraseNeeded)));
    let wrong_new = Unlock::Passphrase { passphrase: old, next_passphrase: Some("not the new passphrase") };
    assert!(matches!(open_keyring(&setup.archive_dir, &wrong_new), Err(KeyError::WrongPassphrase { which: "new" })));
    let both = Unlock::Passphrase { passphrase: old, next_passphrase: Some(new) };
    let mut keyring = open_keyring(&setup.archive_dir, &both).unwrap();
    assert_eq!(rewrap_all(&keyring, &wrapped_dir, &objects), 3);
    keyring.finish_rotation(&all_wrapped(&wrapped_dir)).unwrap();

    let with_new = Unlock::Passphrase { passphrase: new, next_passphrase: None };
    assert_readable(&open_keyring(&setup.archive_dir, &with_new).unwrap(), &wrapped_dir, &objects);
    assert!(matches!(open_keyring(&setup.archive_dir, &only_old), Err(KeyError::WrongPassphrase { which: "current" })));
}

#[test]
fn a_key_file_archive_cannot_rotate_to_a_passphrase() {
    let setup = setup();
    let mut keyring = with_key_file(&setup);
    let to = RotateTo::Passphrase { passphrase: "a long enough passphrase", params: FAST };
    assert!(matches!(keyring.begin_rotation(&to), Err(KeyError::RotationChangesSource { from: "key file", .. })));
    assert!(!keyring.rotation_in_progress());
}

#[test]
fn a_shredded_object_cannot_be_read_even_from_an_old_copy_of_its_wrapped_key_after_rotation() {
    let setup = setup();
    let wrapped_dir = root_of(&setup).join("wrapped");
    let mut keyring = with_key_file(&setup);
    let mut objects = seal_objects(&keyring, &wrapped_dir, 5, 0);
    let forgotten = objects.remove(2);
    let backup = fs::read(wrapped_dir.join(forgotten.id.as_str())).unwrap();

    shred_file(&wrapped_dir.join(forgotten.id.as_str())).unwrap();
    assert!(!wrapped_dir.join(forgotten.id.as_str()).exists());
    // No other key opens it: not another object's wrapping, not another object's data key.
    for object in &objects {
        let wrapped = read_wrapped(&wrapped_dir, &object.id);
        assert!(matches!(keyring.unwrap_data_key(&forgotten.id, &wrapped), Err(KeyError::UnwrapFailed { .. })));
        let key = keyring.unwrap_data_key(&object.id, &wrapped).unwrap();
        let result = decrypt_stream(&key, &forgotten.id, forgotten.stream.as_slice(), &mut Vec::new());
        assert!(matches!(result, Err(StreamError::WrongKey { .. })));
        assert!(open_field(&key, &forgotten.id, "name", &forgotten.field).is_err());
    }
    // Before the rotation that follows forgetting, a backup copy still opens: that is why
    // forgetting rotates the KEK.
    assert!(keyring.unwrap_data_key(&forgotten.id, &WrappedKey::parse(&backup).unwrap()).is_ok());
    keyring.begin_rotation(&RotateTo::KeyFile).unwrap();
    rewrap_all(&keyring, &wrapped_dir, &objects);
    keyring.finish_rotation(&all_wrapped(&wrapped_dir)).unwrap();
    let reopened = open(&setup).unwrap();
    let error = reopened.unwrap_data_key(&forgotten.id, &WrappedKey::parse(&backup).unwrap()).unwrap_err();
    assert!(matches!(error, KeyError::UnknownWrappingKey { .. }), "{error}");
    assert_readable(&reopened, &wrapped_dir, &objects);
}

#[test]
fn data_keys_and_keyrings_never_print_key_material() {
    let setup = setup();
    let keyring = with_key_file(&setup);
    let encoded = key_line(&setup.key_file);
    let printed = format!("{keyring:?}");
    assert!(printed.contains(&keyring.key_id().to_string()) && !printed.contains(&encoded), "{printed}");
    assert_eq!(format!("{:?}", DataKey::from_bytes([0x41; 32])), "DataKey(..)");
    let passphrase = "a secret passphrase";
    let printed = format!(
        "{:?} {:?} {:?}",
        KekSetup::Passphrase { passphrase, params: FAST },
        Unlock::Passphrase { passphrase, next_passphrase: Some(passphrase) },
        RotateTo::Passphrase { passphrase, params: FAST }
    );
    assert!(!printed.contains("secret"), "{printed}");
}
