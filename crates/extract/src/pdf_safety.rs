//! Makes a PDF safe for pdf-extract, which recurses without limits.
//!
//! pdf-extract runs the content of every XObject a page invokes (`Do`) by
//! calling itself, without a depth limit or a cycle check, and it treats
//! image data as content too; it looks up inherited page attributes by
//! following `/Parent` recursively, also without a limit. A form that
//! invokes itself (directly, through other forms, or through resources it
//! inherits), a long chain of forms, or a `/Parent` loop would overflow the
//! stack, which aborts the process: no `catch_unwind` helps. So before
//! extraction the document is changed in memory:
//!
//! - a stream that would decompress to more than [`MAX_STREAM_BYTES`] (a
//!   compression bomb) is emptied, so that no later read can exhaust
//!   memory, which also aborts the process;
//! - a `/Parent` link that closes a loop, or lies more than
//!   [`MAX_PARENT_LINKS`] above a page, is removed; a page that then has no
//!   `/MediaBox` anywhere gets US Letter (pdf-extract needs one, and only
//!   positions depend on it);
//! - image and PostScript XObjects lose their data (text extraction does not
//!   need it, and parsing megabytes of pixels as content is slow);
//! - every `Do` in a form that would close a cycle, or nest forms deeper
//!   than [`MAX_FORM_DEPTH`], is removed from that form's content.
//!
//! The walk mirrors how pdf-extract resolves names: a form's own
//! `/Resources`, else the resources it was invoked with.
//!
//! lopdf itself decompresses object streams and cross-reference streams
//! while loading, without a limit. [`bomb_before_loading`] therefore checks
//! those (found by their `/Type` in the raw bytes) before lopdf sees the
//! file. What remains unchecked: such streams in encrypted files (their
//! bytes are not zlib data until decrypted) or behind an ASCII85 or LZW
//! filter.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Read, Write};

use flate2::read::{DeflateDecoder, ZlibDecoder};
use pdf_extract::content::Content;
use pdf_extract::{Dictionary, Document, Object, ObjectId, Stream};

use crate::sniff::find;

/// The most one stream may decompress to. Page content and fonts are far
/// smaller; only images come near it, and their data is not needed.
pub(crate) const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;
/// How far before a `stream` keyword its dictionary is looked for.
const DICTIONARY_LOOKBACK: usize = 2048;
/// The raw scan looks at no more stream keywords than this.
const MAX_SCANNED_STREAMS: usize = 100_000;

/// Deeper nesting of forms than this is cut; real documents nest a few.
const MAX_FORM_DEPTH: usize = 32;
/// The walk gives up (and the PDF fails) past this many visits.
const MAX_VISITS: usize = 200_000;
/// `/Parent` links followed to find inherited page resources.
const MAX_PARENT_LINKS: usize = 64;

/// The graph of forms is too large to check.
#[derive(Debug)]
pub(crate) struct TooManyForms;

/// Changes `document` as described in the module documentation.
pub(crate) fn make_safe(document: &mut Document) -> Result<(), TooManyForms> {
    drop_image_data(document);
    empty_stream_bombs(document);
    repair_page_parents(document);
    let cuts = find_cuts(document)?;
    for (form, names) in cuts {
        remove_invocations(document, form, &names);
    }
    Ok(())
}

/// A reason to refuse the file when an object or cross-reference stream in
/// the raw bytes would inflate past [`MAX_STREAM_BYTES`].
pub(crate) fn bomb_before_loading(bytes: &[u8]) -> Option<String> {
    let mut position = 0;
    for _ in 0..MAX_SCANNED_STREAMS {
        let found = find(&bytes[position..], b"stream")?;
        let keyword = position + found;
        position = keyword + 6;
        if keyword > 0 && bytes[keyword - 1] == b'd' {
            continue; // "endstream"
        }
        let data = match bytes.get(position..position + 2) {
            Some(b"\r\n") => &bytes[position + 2..],
            Some([b'\n' | b'\r', _]) => &bytes[position + 1..],
            _ => continue,
        };
        let before = &bytes[keyword.saturating_sub(DICTIONARY_LOOKBACK)..keyword];
        let dictionary = match before.windows(3).rposition(|window| window == b"obj") {
            Some(start) => &before[start..],
            None => before,
        };
        if find(dictionary, b"/ObjStm").is_none() && find(dictionary, b"/XRef").is_none() {
            continue;
        }
        if inflated_length(data, MAX_STREAM_BYTES) > MAX_STREAM_BYTES {
            return Some(format!(
                "an object or cross-reference stream decompresses to more than {} MiB; refused as a possible \
                 compression bomb",
                MAX_STREAM_BYTES >> 20
            ));
        }
    }
    None
}

/// How many bytes zlib data inflates to, counting up to just past `limit`
/// without keeping them; 0 when `data` does not start as zlib data.
fn inflated_length(data: &[u8], limit: usize) -> usize {
    let header_ok = data.len() >= 2 && data[0] & 0x0f == 8 && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
    if !header_ok {
        return 0;
    }
    let mut decoder = ZlibDecoder::new(data);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    while total <= limit {
        match decoder.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(count) => total += count,
        }
    }
    total
}

fn empty_stream_bombs(document: &mut Document) {
    for object in document.objects.values_mut() {
        if let Object::Stream(stream) = object
            && !decodes_within(stream, MAX_STREAM_BYTES)
        {
            stream.set_plain_content(Vec::new());
        }
    }
}

/// Whether decoding `stream` the way lopdf does stays within `limit` bytes
/// after every filter. Filters lopdf cannot decode end the check (lopdf
/// gives up on them too).
fn decodes_within(stream: &Stream, limit: usize) -> bool {
    let Ok(filters) = stream.filters() else {
        return true;
    };
    let early_change = stream
        .dict
        .get(b"DecodeParms")
        .and_then(Object::as_dict)
        .and_then(|parameters| parameters.get(b"EarlyChange"))
        .and_then(Object::as_i64)
        .map_or(true, |value| value != 0);
    let mut data: Vec<u8>;
    let mut input: &[u8] = &stream.content;
    for filter in filters {
        let decoded = match filter {
            b"FlateDecode" => inflate(input, limit),
            b"LZWDecode" => unlzw(input, limit, early_change),
            b"ASCII85Decode" => Some(ascii85(input, limit)),
            _ => return true,
        };
        match decoded {
            Some(decoded) if decoded.len() <= limit => data = decoded,
            _ => return false,
        }
        input = &data;
    }
    true
}

/// zlib data inflated up to just past `limit` (`None` beyond), falling back
/// to raw deflate after the two header bytes as lopdf does.
fn inflate(input: &[u8], limit: usize) -> Option<Vec<u8>> {
    let mut output = Vec::new();
    let zlib = ZlibDecoder::new(input).take(limit as u64 + 1).read_to_end(&mut output);
    if zlib.is_err() && output.is_empty() && input.len() > 2 {
        let _ = DeflateDecoder::new(&input[2..]).take(limit as u64 + 1).read_to_end(&mut output);
    }
    (output.len() <= limit).then_some(output)
}

/// LZW data decoded up to `limit` (`None` beyond).
fn unlzw(input: &[u8], limit: usize, early_change: bool) -> Option<Vec<u8>> {
    use weezl::{BitOrder, decode::Decoder};
    let mut decoder =
        if early_change { Decoder::with_tiff_size_switch(BitOrder::Msb, 8) } else { Decoder::new(BitOrder::Msb, 8) };
    let mut output = LimitedWriter { bytes: Vec::new(), limit, exceeded: false };
    let _ = decoder.into_stream(&mut output).decode_all(input);
    (!output.exceeded).then_some(output.bytes)
}

struct LimitedWriter {
    bytes: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl Write for LimitedWriter {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buffer.len() > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("decoded stream too large"));
        }
        self.bytes.extend_from_slice(buffer);
        Ok(buffer.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// ASCII85 data decoded (at most four bytes per input byte, so bounded by
/// the input), stopping at the first byte outside the alphabet as lopdf does.
fn ascii85(input: &[u8], limit: usize) -> Vec<u8> {
    let input = input.strip_suffix(b"~>").unwrap_or(input);
    let mut output = Vec::new();
    let mut group: u64 = 0;
    let mut count = 0;
    for &byte in input {
        if output.len() > limit {
            break;
        }
        match byte {
            b'z' if count == 0 => output.extend_from_slice(&[0, 0, 0, 0]),
            byte if byte.is_ascii_whitespace() => {}
            b'!'..=b'u' => {
                group = group * 85 + u64::from(byte - b'!');
                count += 1;
                if count == 5 {
                    output.extend_from_slice(&(group as u32).to_be_bytes());
                    group = 0;
                    count = 0;
                }
            }
            _ => break,
        }
    }
    if count > 1 {
        for _ in count..5 {
            group = group * 85 + 84;
        }
        output.extend_from_slice(&(group as u32).to_be_bytes()[..count - 1]);
    }
    output
}

fn repair_page_parents(document: &mut Document) {
    for page in document.get_pages().into_values() {
        let mut seen: Vec<ObjectId> = vec![page];
        let mut node = page;
        let mut has_media_box = false;
        while let Ok(dictionary) = document.get_dictionary(node) {
            has_media_box |= dictionary.has(b"MediaBox");
            let Some(parent) = dictionary.get(b"Parent").ok().and_then(|parent| parent.as_reference().ok()) else {
                break;
            };
            if seen.contains(&parent) || seen.len() > MAX_PARENT_LINKS {
                if let Ok(dictionary) = document.get_dictionary_mut(node) {
                    dictionary.remove(b"Parent");
                }
                break;
            }
            seen.push(parent);
            node = parent;
        }
        if !has_media_box && let Ok(dictionary) = document.get_dictionary_mut(page) {
            let letter = [0, 0, 612, 792].into_iter().map(Object::Integer).collect::<Vec<Object>>();
            dictionary.set("MediaBox", Object::Array(letter));
        }
    }
}

fn drop_image_data(document: &mut Document) {
    for object in document.objects.values_mut() {
        if let Object::Stream(stream) = object {
            let subtype = stream.dict.get(b"Subtype").and_then(Object::as_name).ok();
            if matches!(subtype, Some(b"Image" | b"PS")) {
                stream.set_plain_content(Vec::new());
            }
        }
    }
}

/// The walk's position: which form runs, and in which resources its names
/// are looked up (by address: the dictionaries do not move during the walk).
type State = (ObjectId, usize);

struct Walk<'a> {
    document: &'a Document,
    /// Forms and the names whose `Do` must be removed from their content.
    cuts: BTreeMap<ObjectId, BTreeSet<Vec<u8>>>,
    /// The states on the current path, to find cycles.
    path: Vec<State>,
    /// States already explored at a given depth.
    explored: HashSet<(State, usize)>,
    invoked: HashMap<ObjectId, Vec<Vec<u8>>>,
    visits: usize,
}

fn find_cuts(document: &Document) -> Result<BTreeMap<ObjectId, BTreeSet<Vec<u8>>>, TooManyForms> {
    let mut walk = Walk {
        document,
        cuts: BTreeMap::new(),
        path: Vec::new(),
        explored: HashSet::new(),
        invoked: HashMap::new(),
        visits: 0,
    };
    let empty = Dictionary::new();
    for page in document.get_pages().into_values() {
        let Some(resources) = page_resources(document, page) else {
            continue;
        };
        let content = document.get_page_content(page).unwrap_or_default();
        let names = invoked_names(&content);
        walk.children(None, &names, resources.unwrap_or(&empty), 0)?;
    }
    Ok(walk.cuts)
}

impl<'a> Walk<'a> {
    /// Follows the `Do` of `names`, run by `form` (`None` for the page) with
    /// `resources`, at `depth` forms below the page.
    fn children(
        &mut self,
        form: Option<ObjectId>,
        names: &[Vec<u8>],
        resources: &'a Dictionary,
        depth: usize,
    ) -> Result<(), TooManyForms> {
        for name in names {
            let Some((child, own_resources)) = resolve(self.document, resources, name) else {
                continue;
            };
            let child_resources = own_resources.unwrap_or(resources);
            let state = (child, child_resources as *const Dictionary as usize);
            if self.path.contains(&state) || depth + 1 > MAX_FORM_DEPTH {
                if let Some(form) = form {
                    self.cuts.entry(form).or_default().insert(name.clone());
                }
                continue;
            }
            if !self.explored.insert((state, depth + 1)) {
                continue;
            }
            self.visits += 1;
            if self.visits > MAX_VISITS {
                return Err(TooManyForms);
            }
            let child_names = self.invoked_by(child);
            self.path.push(state);
            let result = self.children(Some(child), &child_names, child_resources, depth + 1);
            self.path.pop();
            result?;
        }
        Ok(())
    }

    fn invoked_by(&mut self, form: ObjectId) -> Vec<Vec<u8>> {
        if let Some(names) = self.invoked.get(&form) {
            return names.clone();
        }
        let names = match self.document.get_object(form) {
            Ok(Object::Stream(stream)) => invoked_names(&stream_content(stream)),
            _ => Vec::new(),
        };
        self.invoked.insert(form, names.clone());
        names
    }
}

/// The page's resources, inherited through `/Parent` as pdf-extract looks
/// them up: `Some(None)` when there are none, `None` when the page is not a
/// dictionary.
fn page_resources(document: &Document, page: ObjectId) -> Option<Option<&Dictionary>> {
    let mut node = document.get_object(page).ok()?.as_dict().ok()?;
    for _ in 0..MAX_PARENT_LINKS {
        if let Ok(resources) = node.get(b"Resources") {
            return Some(dereference(document, resources).and_then(|object| object.as_dict().ok()));
        }
        match node.get(b"Parent").ok().and_then(|parent| dereference(document, parent)) {
            Some(Object::Dictionary(parent)) => node = parent,
            _ => return Some(None),
        }
    }
    Some(None)
}

/// The XObject stream that `name` names in `resources`, and its own
/// resources if it has them.
fn resolve<'a>(
    document: &'a Document,
    resources: &'a Dictionary,
    name: &[u8],
) -> Option<(ObjectId, Option<&'a Dictionary>)> {
    let xobjects = dereference(document, resources.get(b"XObject").ok()?)?.as_dict().ok()?;
    // Streams are always indirect objects, so an XObject has an id.
    let (id, object) = document.dereference(xobjects.get(name).ok()?).ok()?;
    let stream = object.as_stream().ok()?;
    let own = stream.dict.get(b"Resources").ok().and_then(|object| dereference(document, object)?.as_dict().ok());
    Some((id?, own))
}

fn dereference<'a>(document: &'a Document, object: &'a Object) -> Option<&'a Object> {
    document.dereference(object).ok().map(|(_, object)| object)
}

/// A stream's content as pdf-extract reads it: decompressed when that works,
/// raw otherwise.
fn stream_content(stream: &pdf_extract::Stream) -> Vec<u8> {
    if stream.filters().is_ok() {
        stream.decompressed_content().unwrap_or_else(|_| stream.content.clone())
    } else {
        stream.content.clone()
    }
}

/// The names of the XObjects a content stream invokes, in order.
fn invoked_names(content: &[u8]) -> Vec<Vec<u8>> {
    let Ok(content) = Content::decode(content) else {
        return Vec::new();
    };
    content
        .operations
        .iter()
        .filter(|operation| operation.operator == "Do")
        .filter_map(|operation| operation.operands.first()?.as_name().ok().map(<[u8]>::to_vec))
        .collect()
}

/// Removes the `Do` of `names` from the content of `form`.
fn remove_invocations(document: &mut Document, form: ObjectId, names: &BTreeSet<Vec<u8>>) {
    let Ok(Object::Stream(stream)) = document.get_object_mut(form) else {
        return;
    };
    let kept = match Content::decode(&stream_content(stream)) {
        Ok(mut content) => {
            content.operations.retain(|operation| {
                let invoked = operation.operands.first().and_then(|operand| operand.as_name().ok());
                !(operation.operator == "Do" && invoked.is_some_and(|name| names.contains(name)))
            });
            content.encode().unwrap_or_default()
        }
        Err(_) => Vec::new(),
    };
    stream.set_plain_content(kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_with(filter: &str, content: Vec<u8>) -> Stream {
        let mut dictionary = Dictionary::new();
        dictionary.set("Filter", Object::Name(filter.as_bytes().to_vec()));
        Stream::new(dictionary, content)
    }

    #[test]
    fn ascii85_decodes_like_the_standard() {
        assert_eq!(ascii85(b"87cURD]j7BEbo7~>", 100), b"Hello world");
        assert_eq!(ascii85(b"zz", 100), [0u8; 8]);
    }

    #[test]
    fn lzw_and_flate_bombs_are_measured_without_decoding_them_whole() {
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let lzw =
            weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8).encode(&zeros).unwrap_or_default();
        assert!(decodes_within(&stream_with("LZWDecode", lzw.clone()), zeros.len()));
        assert!(!decodes_within(&stream_with("LZWDecode", lzw), zeros.len() - 1));

        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&zeros).unwrap_or_default();
        let flate = encoder.finish().unwrap_or_default();
        assert_eq!(inflated_length(&flate, usize::MAX), zeros.len());
        assert!(inflated_length(&flate, 1000) <= 1000 + 64 * 1024);
        assert!(!decodes_within(&stream_with("FlateDecode", flate), 1000));
    }
}
