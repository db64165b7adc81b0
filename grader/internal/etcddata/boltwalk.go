package etcddata

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
)

// bbolt's on-disk format (go.etcd.io/bbolt/internal/common), little endian.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	elementSize    = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHeader   = 16 // root pgid u64, sequence u64
	metaChecksumAt = 56 // the meta's fields before its fnv64a checksum
	noFreelist     = ^uint64(0)

	branchFlag   = 0x01
	leafFlag     = 0x02
	metaFlag     = 0x04
	freelistFlag = 0x10
	bucketLeaf   = 0x01

	maxDepth = 64
)

// boltMeta is a bbolt meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high water mark: pages [0, pgid) are in use or free
	txid     uint64
}

// parseMeta reads the meta page starting at off, or says why it is not one.
func parseMeta(data []byte, off int) (boltMeta, error) {
	if off < 0 || off+pageHeaderSize+metaChecksumAt+8 > len(data) {
		return boltMeta{}, fmt.Errorf("no meta page at offset %d", off)
	}
	m := data[off+pageHeaderSize:]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != boltMagic {
		return boltMeta{}, fmt.Errorf("no bbolt magic at offset %d", off)
	}
	if v := le.Uint32(m[4:]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("bbolt format version %d, want %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(m[:metaChecksumAt])
	if h.Sum64() != le.Uint64(m[metaChecksumAt:]) {
		return boltMeta{}, fmt.Errorf("meta page at offset %d fails its checksum", off)
	}
	return boltMeta{
		pageSize: le.Uint32(m[8:]),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		pgid:     le.Uint64(m[40:]),
		txid:     le.Uint64(m[48:]),
	}, nil
}

// selectMeta finds the page size and the meta page bbolt would use, the
// way bbolt's Open does: the page size from meta 0, else from a meta 1 at a
// plausible page size; then the valid meta with the highest txid.
func selectMeta(data []byte) (boltMeta, int, error) {
	m0, err0 := parseMeta(data, 0)
	pageSize := 0
	if err0 == nil {
		pageSize = int(m0.pageSize)
	} else {
		for ps := 1024; ps <= 64*1024; ps *= 2 {
			if m1, err := parseMeta(data, ps); err == nil && int(m1.pageSize) == ps {
				pageSize = ps
				break
			}
		}
		if pageSize == 0 {
			return boltMeta{}, 0, err0
		}
	}
	if pageSize < 512 || pageSize > 64*1024 || pageSize&(pageSize-1) != 0 {
		return boltMeta{}, 0, fmt.Errorf("bbolt page size %d is not a power of two between 512 and 65536", pageSize)
	}
	m1, err1 := parseMeta(data, pageSize)
	switch {
	case err0 == nil && err1 == nil:
		if m1.txid > m0.txid {
			m0 = m1
		}
	case err1 == nil:
		m0 = m1
	}
	if int(m0.pageSize) != pageSize {
		return boltMeta{}, 0, fmt.Errorf("meta pages disagree on the page size (%d, %d)", pageSize, m0.pageSize)
	}
	return m0, pageSize, nil
}

// walker checks a bbolt file's structure with bounds-checked reads before
// bbolt itself touches it: bbolt trusts page ids and offsets and, on a
// corrupt file, faults on memory past the end of the file or panics in a
// goroutine of its own, which ends the process. It follows the same rules
// as bbolt's consistency check for the tree (bounds, page types, single
// references, key order), so a file it accepts is safe to open, check and
// read with bbolt.
type walker struct {
	data      []byte
	pageSize  int
	hwm       uint64
	reachable bitset
}

// bitset marks pages; its size is bounded by the file's page count.
type bitset []uint64

func (b bitset) get(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i uint64)      { b[i/64] |= 1 << (i % 64) }

// walkBolt validates data (a bbolt file without any trailer) and returns
// the meta page bbolt will use.
func walkBolt(data []byte) (boltMeta, error) {
	meta, pageSize, err := selectMeta(data)
	if err != nil {
		return meta, err
	}
	if meta.pgid < 2 || meta.pgid > uint64(len(data)/pageSize) {
		return meta, &TruncatedError{Need: int64(meta.pgid) * int64(pageSize), Have: int64(len(data))}
	}
	w := &walker{data: data, pageSize: pageSize, hwm: meta.pgid, reachable: make(bitset, meta.pgid/64+1)}
	w.reachable.set(0)
	w.reachable.set(1)
	if meta.freelist != noFreelist {
		if err := w.checkFreelist(meta.freelist); err != nil {
			return meta, err
		}
	}
	if meta.root < 2 {
		return meta, fmt.Errorf("root bucket at page %d", meta.root)
	}
	if err := w.bucketPages(meta.root, 0); err != nil {
		return meta, err
	}
	return meta, nil
}

// TruncatedError is a bbolt file shorter than its own meta page says.
type TruncatedError struct{ Need, Have int64 }

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("truncated: the database needs %d bytes and the file holds %d", e.Need, e.Have)
}

// page returns page id with its overflow pages, checked against the file
// and the high water mark.
func (w *walker) page(id uint64, want uint16) ([]byte, error) {
	if id < 2 || id >= w.hwm {
		return nil, fmt.Errorf("page %d: out of bounds (high water mark %d)", id, w.hwm)
	}
	off := id * uint64(w.pageSize)
	hdr := w.data[off : off+pageHeaderSize]
	le := binary.LittleEndian
	if got := le.Uint64(hdr); got != id {
		return nil, fmt.Errorf("page %d: calls itself page %d", id, got)
	}
	flags := le.Uint16(hdr[8:])
	okType := flags == freelistFlag
	if want != freelistFlag {
		okType = flags == branchFlag || flags == leafFlag
	}
	if !okType {
		return nil, fmt.Errorf("page %d: unexpected type (flags %#x)", id, flags)
	}
	overflow := uint64(le.Uint32(hdr[12:]))
	if id+overflow >= w.hwm {
		return nil, fmt.Errorf("page %d: %d overflow pages run past the high water mark %d", id, overflow, w.hwm)
	}
	for i := id; i <= id+overflow; i++ {
		if w.reachable.get(i) {
			return nil, fmt.Errorf("page %d: multiple references", i)
		}
		w.reachable.set(i)
	}
	return w.data[off : off+(overflow+1)*uint64(w.pageSize)], nil
}

func (w *walker) checkFreelist(id uint64) error {
	p, err := w.page(id, freelistFlag)
	if err != nil {
		return fmt.Errorf("freelist: %w", err)
	}
	le := binary.LittleEndian
	start, count := uint64(pageHeaderSize), uint64(le.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			return fmt.Errorf("freelist page %d: too short", id)
		}
		count = le.Uint64(p[pageHeaderSize:])
		start += 8
	}
	if count > uint64(len(p))/8 || start+count*8 > uint64(len(p)) {
		return fmt.Errorf("freelist page %d: %d ids do not fit", id, count)
	}
	var prev uint64
	for i := uint64(0); i < count; i++ {
		pid := le.Uint64(p[start+i*8:])
		if pid < 2 || pid >= w.hwm || i > 0 && pid <= prev {
			return fmt.Errorf("freelist page %d: bad free page id %d", id, pid)
		}
		prev = pid
	}
	return nil
}

// element is one decoded branch or leaf element.
type element struct {
	flags      uint32
	key, value []byte
	child      uint64
}

// elements decodes a branch or leaf page's elements, each within the page.
func elements(p []byte) ([]element, bool, error) {
	le := binary.LittleEndian
	flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
	branch := flags == branchFlag
	if pageHeaderSize+count*elementSize > len(p) {
		return nil, branch, fmt.Errorf("%d elements do not fit in %d bytes", count, len(p))
	}
	if branch && count == 0 {
		return nil, branch, fmt.Errorf("branch page with no elements")
	}
	out := make([]element, count)
	for i := range out {
		at := pageHeaderSize + i*elementSize
		e := p[at : at+elementSize]
		var pos, ksize, vsize uint64
		if branch {
			pos, ksize = uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
			out[i].child = le.Uint64(e[8:])
		} else {
			out[i].flags = le.Uint32(e[0:])
			pos, ksize, vsize = uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
		}
		k := uint64(at) + pos
		if k+ksize+vsize > uint64(len(p)) {
			return nil, branch, fmt.Errorf("element %d runs past its page", i)
		}
		out[i].key = p[k : k+ksize]
		out[i].value = p[k+ksize : k+ksize+vsize]
	}
	return out, branch, nil
}

// bucketPages checks the page tree of a bucket rooted at page id.
func (w *walker) bucketPages(id uint64, depth int) error {
	_, err := w.tree(id, nil, nil, depth)
	return err
}

// tree checks the subtree at page id: every key in [lo, hi) (nil: open) and
// in order, as bbolt's check requires; it returns the subtree's largest key.
func (w *walker) tree(id uint64, lo, hi []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("page %d: tree deeper than %d", id, maxDepth)
	}
	p, err := w.page(id, branchFlag|leafFlag)
	if err != nil {
		return nil, err
	}
	return w.pageElements(id, p, lo, hi, depth)
}

func (w *walker) pageElements(id uint64, p []byte, lo, hi []byte, depth int) ([]byte, error) {
	elems, branch, err := elements(p)
	if err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	prev, maxKey := lo, []byte(nil)
	for i, e := range elems {
		if i == 0 && prev != nil && bytes.Compare(prev, e.key) > 0 ||
			i > 0 && bytes.Compare(prev, e.key) >= 0 ||
			hi != nil && bytes.Compare(e.key, hi) >= 0 {
			return nil, fmt.Errorf("page %d: key %d out of order", id, i)
		}
		if branch {
			next := hi
			if i < len(elems)-1 {
				next = elems[i+1].key
			}
			maxKey, err = w.tree(e.child, e.key, next, depth+1)
			if err != nil {
				return nil, err
			}
			prev = maxKey
			continue
		}
		prev, maxKey = e.key, e.key
		if e.flags&bucketLeaf != 0 {
			if err := w.bucketValue(id, e.value, depth); err != nil {
				return nil, err
			}
		}
	}
	return maxKey, nil
}

// bucketValue checks a nested bucket's header and its tree or inline page.
func (w *walker) bucketValue(id uint64, v []byte, depth int) error {
	if len(v) < bucketHeader {
		return fmt.Errorf("page %d: bucket value of %d bytes", id, len(v))
	}
	root := binary.LittleEndian.Uint64(v)
	if root != 0 {
		return w.bucketPages(root, depth+1)
	}
	inline := v[bucketHeader:]
	if len(inline) < pageHeaderSize || binary.LittleEndian.Uint16(inline[8:]) != leafFlag {
		return fmt.Errorf("page %d: malformed inline bucket", id)
	}
	// An inline page is not aligned in the file: bbolt copies it, and its
	// elements are read relative to the copy.
	_, err := w.pageElements(id, append([]byte(nil), inline...), nil, nil, depth+1)
	return err
}
