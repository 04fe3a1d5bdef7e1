// Command go-tlog-verify checks an Evident log with Go's reference
// implementation (golang.org/x/mod/sumdb/note and sumdb/tlog), so that our
// tiles, checkpoints and receipts are proven readable by code we did not
// write.
//
// Usage: go-tlog-verify LOG_DIR VERIFIER_KEY [-old CHECKPOINT_FILE] [RECEIPT...]
//
// It opens LOG_DIR/checkpoint with the verifier key, reads every entry
// bundle, proves and checks every entry's inclusion from the hash tiles
// (tiles are checked against the signed root by tlog.TileHashReader),
// recomputes the tree hash, checks a consistency proof from an older
// checkpoint if given, and checks each receipt's inclusion proof and
// checkpoint signature. It prints "ok N" and exits 0, or prints the
// failure and exits 1.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type tileReader struct{ dir string }

func (r tileReader) Height() int { return 8 }

// Go's tile paths carry the height ("tile/8/L/N"); C2SP's do not ("tile/L/N").
func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), "tile/8/", "tile/", 1)
}

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(r.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func openCheckpoint(msg []byte, verifier note.Verifier) tlog.Tree {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint text: origin line %q", lines[0])
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root hash: %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return tlog.Tree{N: size, Hash: h}
}

func readEntries(dir string, size int64) [][]byte {
	var entries [][]byte
	for start := int64(0); start < size; start += 256 {
		width := size - start
		if width > 256 {
			width = 256
		}
		t := tlog.Tile{H: 8, L: 0, N: start / 256, W: int(width)}
		path := strings.Replace(t.Path(), "tile/8/0/", "tile/entries/", 1)
		data, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			fail("entry bundle: %v", err)
		}
		for len(data) > 0 {
			if len(data) < 2 {
				fail("entry bundle %s: truncated length", path)
			}
			n := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+n {
				fail("entry bundle %s: truncated entry", path)
			}
			entries = append(entries, data[2:2+n])
			data = data[2+n:]
		}
	}
	if int64(len(entries)) != size {
		fail("entry bundles hold %d entries, checkpoint says %d", len(entries), size)
	}
	return entries
}

func checkReceipt(path string, verifier note.Verifier) {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("receipt: %v", err)
	}
	head, checkpoint, found := bytes.Cut(data, []byte("\n\n"))
	if !found {
		fail("receipt %s: no blank line before the checkpoint", path)
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		fail("receipt %s: first line %q", path, lines[0])
	}
	lines = lines[1:]
	var entry []byte
	if strings.HasPrefix(lines[0], "extra ") {
		entry, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[0], "extra "))
		if err != nil {
			fail("receipt %s: extra: %v", path, err)
		}
		lines = lines[1:]
	}
	if entry == nil {
		fail("receipt %s: no extra line with the entry", path)
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	if err != nil || !strings.HasPrefix(lines[0], "index ") {
		fail("receipt %s: index line %q", path, lines[0])
	}
	var proof tlog.RecordProof
	for _, line := range lines[1:] {
		h, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(h) != tlog.HashSize {
			fail("receipt %s: proof line %q", path, line)
		}
		var hash tlog.Hash
		copy(hash[:], h)
		proof = append(proof, hash)
	}
	tree := openCheckpoint(checkpoint, verifier)
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(entry)); err != nil {
		fail("receipt %s: inclusion proof: %v", path, err)
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Println("usage: go-tlog-verify LOG_DIR VERIFIER_KEY [-old CHECKPOINT] [RECEIPT...]")
		os.Exit(2)
	}
	dir, vkey := os.Args[1], os.Args[2]
	rest := os.Args[3:]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	tree := openCheckpoint(msg, verifier)
	reader := tlog.TileHashReader(tree, tileReader{dir})
	th, err := tlog.TreeHash(tree.N, reader)
	if err != nil || th != tree.Hash {
		fail("tree hash from tiles: %v", err)
	}
	entries := readEntries(dir, tree.N)
	for i, entry := range entries {
		proof, err := tlog.ProveRecord(tree.N, int64(i), reader)
		if err != nil {
			fail("prove entry %d: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, int64(i), tlog.RecordHash(entry)); err != nil {
			fail("entry %d: %v", i, err)
		}
	}
	if len(rest) >= 2 && rest[0] == "-old" {
		oldMsg, err := os.ReadFile(rest[1])
		if err != nil {
			fail("old checkpoint: %v", err)
		}
		old := openCheckpoint(oldMsg, verifier)
		proof, err := tlog.ProveTree(tree.N, old.N, reader)
		if err != nil {
			fail("consistency proof: %v", err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, old.N, old.Hash); err != nil {
			fail("consistency %d -> %d: %v", old.N, tree.N, err)
		}
		rest = rest[2:]
	}
	for _, receipt := range rest {
		checkReceipt(receipt, verifier)
	}
	fmt.Printf("ok %d entries, %d receipts\n", tree.N, len(rest))
}
