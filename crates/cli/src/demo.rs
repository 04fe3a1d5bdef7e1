//! `evident demo`: a demo archive with a small bundled sample (public texts
//! and clearly fictional testimonies, `crates/cli/demo/`), records linking
//! them, some of it published to the portal, an admin account with a fresh
//! random password, and the server. Run again on the same directory, it
//! keeps the archive and gives the admin a new password.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use evident_archive::{AddConfig, AddOutcome, Archive, InitConfig, RecordKind, Role};
use serde_json::{Map, Value, json};

/// The bundled sample: (file name, bytes, published on the portal).
const SAMPLE: &[(&str, &[u8], bool)] = &[
    ("udhr-article-3-5.txt", include_bytes!("../demo/udhr-article-3-5.txt"), true),
    ("fictional-hospital-page.html", include_bytes!("../demo/fictional-hospital-page.html"), true),
    ("fictional-testimony-en.txt", include_bytes!("../demo/fictional-testimony-en.txt"), false),
    ("fictional-testimony-zh.txt", include_bytes!("../demo/fictional-testimony-zh.txt"), false),
    ("fictional-testimony-ug.txt", include_bytes!("../demo/fictional-testimony-ug.txt"), false),
];

const ACTOR: &str = "demo";
const ADMIN: &str = "admin";

/// What the demo made.
pub struct Demo {
    pub dir: PathBuf,
    pub created: bool,
    pub password: String,
}

/// Creates the demo archive at `dir` (or reuses it), and sets a new admin
/// password.
pub fn prepare(dir: &Path) -> Result<Demo> {
    let created = !dir.join("evident.json").exists();
    if created {
        Archive::init(dir, &InitConfig { origin: "demo.evident.local/evident".to_owned(), key_file: None })
            .with_context(|| format!("cannot create the demo archive at {}", dir.display()))?;
    }
    let mut archive =
        Archive::open(dir, None).with_context(|| format!("cannot open the demo archive {}", dir.display()))?;
    if !archive.sealing_set_up() {
        // A key-encryption key beside the archive (`DIR.keys/kek`), as
        // `evident init` makes: witnesses' names are sealed and `/intake`
        // takes testimonies.
        archive
            .init_sealing(&evident_archive::KekInit::KeyFile(None))
            .context("cannot create the demo archive's key-encryption key")?;
    }
    if created {
        fill(&mut archive)?;
    }
    let password = random_password()?;
    if archive.users()?.iter().any(|user| user.name == ADMIN) {
        archive.set_password(ADMIN, &password)?;
        archive.revoke_user_credentials(ADMIN)?;
    } else {
        archive.add_user(ADMIN, Role::Admin, &password)?;
    }
    Ok(Demo { dir: dir.to_owned(), created, password })
}

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn fill(archive: &mut Archive) -> Result<()> {
    let staging = tempfile::tempdir().context("cannot create a temporary directory for the demo sample")?;
    let inbox = staging.path().join("demo-sample");
    std::fs::create_dir_all(&inbox).with_context(|| format!("cannot create {}", inbox.display()))?;
    let mut paths = Vec::new();
    for (name, bytes, _) in SAMPLE {
        let path = inbox.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        paths.push(path);
    }
    let mut items: Vec<(String, String)> = Vec::new();
    archive.add(
        &paths,
        &AddConfig { actor: ACTOR.to_owned(), ..AddConfig::default() },
        &mut |outcome: &AddOutcome| {
            if let Some(item) = &outcome.item {
                let name =
                    Path::new(&outcome.path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                items.push((name, item.clone()));
            }
        },
    )?;
    drop(staging);
    let item = |name: &str| -> Result<String> {
        items
            .iter()
            .find(|(file, _)| file == name)
            .map(|(_, id)| id.clone())
            .with_context(|| format!("the demo sample {name} was not added"))
    };
    let titles = [
        (
            "udhr-article-3-5.txt",
            "Universal Declaration of Human Rights, Articles 3 and 5 (English, Chinese)",
            "document",
        ),
        (
            "fictional-hospital-page.html",
            "Demoville First People's Hospital transplant centre page (FICTIONAL)",
            "web_capture",
        ),
        ("fictional-testimony-en.txt", "Testimony of a former detainee (FICTIONAL, English)", "testimony"),
        ("fictional-testimony-zh.txt", "前被拘留者证词（虚构，中文）", "testimony"),
        ("fictional-testimony-ug.txt", "Testimony of a former detainee (FICTIONAL, Uyghur)", "testimony"),
    ];
    for (name, title, item_type) in titles {
        let changes = [("title".to_owned(), Some(json!(title))), ("item_type".to_owned(), Some(json!(item_type)))];
        archive.edit_record(&item(name)?, &changes, ACTOR, "demo sample described")?;
    }
    for (name, _, public) in SAMPLE {
        if *public {
            archive.publish_record(&item(name)?, ACTOR, "demo: a public document")?;
        }
    }

    let create = |archive: &mut Archive, kind, value: Value| -> Result<String> {
        Ok(archive.create_record(kind, fields(value), ACTOR, "demo sample")?.id)
    };
    let source = create(
        archive,
        RecordKind::Source,
        json!({"name": "Evident demo sample (fictional)", "reliability": "f", "sensitivity": "public",
               "note": "Written for the demo; describes no real person or place."}),
    )?;
    let hospital = create(
        archive,
        RecordKind::Facility,
        json!({"facility_type": "hospital", "name_zh": "演示市第一人民医院（虚构）",
               "name_en": "Demoville First People's Hospital (fictional)", "province": "Demo Province",
               "city": "Demoville", "sensitivity": "public",
               "capacity": [{"measure": "beds", "value": 46, "unit": "beds", "date": "2016",
                             "item": item("fictional-hospital-page.html")?}]}),
    )?;
    let centre = create(
        archive,
        RecordKind::Facility,
        json!({"facility_type": "detention_facility", "name_en": "Demoville Detention Centre (fictional)",
               "city": "Demoville", "sensitivity": "public"}),
    )?;
    let witness = create(
        archive,
        RecordKind::Person,
        json!({"names": [{"name": "Mr. A (fictional)", "script": "Latn", "lang": "en"}], "status": "disappeared",
               "note": "A fictional person of the demo testimonies."}),
    )?;
    let testimonies = [item("fictional-testimony-en.txt")?, item("fictional-testimony-zh.txt")?];
    for (event_type, date, public) in [("blood_test", "2017-04", true), ("ultrasound", "2017-05", true)] {
        let mut value = json!({"event_type": event_type, "date": date, "facility": centre,
                               "items": testimonies, "description": "All detainees of one cell block (fictional)."});
        if public {
            value["sensitivity"] = json!("public");
        }
        create(archive, RecordKind::Event, value)?;
    }
    create(
        archive,
        RecordKind::Event,
        json!({"event_type": "transfer", "date": "2017-06", "facility": centre,
               "participants": [{"record": witness, "role": "transferred"}], "items": testimonies}),
    )?;
    let claim = create(
        archive,
        RecordKind::Claim,
        json!({"text": "The hospital advertised a kidney transplant waiting time of one to two weeks.",
               "value": 7, "unit": "days", "period": "2016", "claimant": hospital,
               "supporting": [item("fictional-hospital-page.html")?], "sensitivity": "public"}),
    )?;
    create(
        archive,
        RecordKind::Finding,
        json!({"issue": "Did the (fictional) hospital advertise organs on demand within days?",
               "standard": "credible_information", "outcome": "proved", "claims": [claim],
               "reasoning": "The hospital's own page states waiting times of one to two weeks (demo).",
               "sensitivity": "public"}),
    )?;
    let points: Vec<Value> =
        [(2010, 160), (2011, 172), (2012, 185), (2013, 199), (2014, 214), (2015, 230), (2016, 312)]
            .iter()
            .map(|(year, value)| json!({"period": year.to_string(), "value": value}))
            .collect();
    create(
        archive,
        RecordKind::Series,
        json!({"name": "Kidney transplants per year, Demoville First People's Hospital (FICTIONAL)",
               "source": source, "unit": "transplants", "points": points, "sensitivity": "public",
               "note": "Invented numbers for the demo."}),
    )?;
    Ok(())
}

/// 20 random characters from an alphabet without look-alikes.
fn random_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for the demo password: {e}"))?;
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}
