package model

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// This file checks a pickle's structure before gotch's unpickler builds anything from it. The
// unpickler allocates whatever length an opcode's argument declares (a corrupt length asks for
// terabytes or a negative size), indexes its dispatch table with any byte, and indexes its
// stack without checking it: a damaged checkpoint made it panic deep inside, or exhaust memory.
// scanPickle walks the opcodes as Python's pickletools does, checks every declared length
// against the bytes that are left, and tracks the stack depth, marks and memo, so that what
// reaches the unpickler is a well-formed pickle and any fault is reported with its offset.

// argKind is how an opcode's argument is laid out in the stream.
type argKind uint8

const (
	argNone   argKind = iota
	argFixed          // size bytes
	argLine           // text up to a newline
	argLines2         // two such lines (GLOBAL, INST)
	argLen1           // a 1-byte length, then that many bytes
	argLen4           // a 4-byte little-endian length (signed where the format says so), then data
	argLen8           // an 8-byte little-endian length, then data
)

// stackKind is how an opcode changes the stack.
type stackKind uint8

const (
	stFixed      stackKind = iota // pops pop items above the top mark, pushes push
	stMark                        // MARK
	stToMark                      // pops to the mark, pushes one object (LIST, TUPLE, DICT, …)
	stToMarkInto                  // pops to the mark into the object below it (APPENDS, SETITEMS, ADDITEMS)
	stPopMark                     // POP_MARK
	stPop                         // POP: one item, or the mark when nothing is above it
	stObj                         // OBJ: pops to the mark, at least a class, pushes one object
	stStop                        // STOP
)

type opcode struct {
	name      string
	arg       argKind
	size      int  // argFixed: bytes
	signed    bool // argLen4: the length is an int32
	stack     stackKind
	pop, push int
	even      bool // stToMark/stToMarkInto: key/value pairs
	memo      byte // 'g' reads the memo, 'p' writes it with a key, 'm' MEMOIZE
	frame     bool
	proto     bool
}

var pickleOps = map[byte]opcode{
	'I':  {name: "INT", arg: argLine, push: 1},
	'J':  {name: "BININT", arg: argFixed, size: 4, push: 1},
	'K':  {name: "BININT1", arg: argFixed, size: 1, push: 1},
	'M':  {name: "BININT2", arg: argFixed, size: 2, push: 1},
	'L':  {name: "LONG", arg: argLine, push: 1},
	0x8a: {name: "LONG1", arg: argLen1, push: 1},
	0x8b: {name: "LONG4", arg: argLen4, signed: true, push: 1},
	'S':  {name: "STRING", arg: argLine, push: 1},
	'T':  {name: "BINSTRING", arg: argLen4, signed: true, push: 1},
	'U':  {name: "SHORT_BINSTRING", arg: argLen1, push: 1},
	'B':  {name: "BINBYTES", arg: argLen4, push: 1},
	'C':  {name: "SHORT_BINBYTES", arg: argLen1, push: 1},
	0x8e: {name: "BINBYTES8", arg: argLen8, push: 1},
	0x96: {name: "BYTEARRAY8", arg: argLen8, push: 1},
	0x97: {name: "NEXT_BUFFER", push: 1},
	0x98: {name: "READONLY_BUFFER", pop: 1, push: 1},
	'N':  {name: "NONE", push: 1},
	0x88: {name: "NEWTRUE", push: 1},
	0x89: {name: "NEWFALSE", push: 1},
	'V':  {name: "UNICODE", arg: argLine, push: 1},
	0x8c: {name: "SHORT_BINUNICODE", arg: argLen1, push: 1},
	'X':  {name: "BINUNICODE", arg: argLen4, push: 1},
	0x8d: {name: "BINUNICODE8", arg: argLen8, push: 1},
	'F':  {name: "FLOAT", arg: argLine, push: 1},
	'G':  {name: "BINFLOAT", arg: argFixed, size: 8, push: 1},
	']':  {name: "EMPTY_LIST", push: 1},
	'a':  {name: "APPEND", pop: 2, push: 1},
	'e':  {name: "APPENDS", stack: stToMarkInto},
	'l':  {name: "LIST", stack: stToMark},
	')':  {name: "EMPTY_TUPLE", push: 1},
	't':  {name: "TUPLE", stack: stToMark},
	0x85: {name: "TUPLE1", pop: 1, push: 1},
	0x86: {name: "TUPLE2", pop: 2, push: 1},
	0x87: {name: "TUPLE3", pop: 3, push: 1},
	'}':  {name: "EMPTY_DICT", push: 1},
	'd':  {name: "DICT", stack: stToMark, even: true},
	's':  {name: "SETITEM", pop: 3, push: 1},
	'u':  {name: "SETITEMS", stack: stToMarkInto, even: true},
	0x8f: {name: "EMPTY_SET", push: 1},
	0x90: {name: "ADDITEMS", stack: stToMarkInto},
	0x91: {name: "FROZENSET", stack: stToMark},
	'0':  {name: "POP", stack: stPop},
	'2':  {name: "DUP", pop: 1, push: 2},
	'(':  {name: "MARK", stack: stMark},
	'1':  {name: "POP_MARK", stack: stPopMark},
	'g':  {name: "GET", arg: argLine, push: 1, memo: 'g'},
	'h':  {name: "BINGET", arg: argFixed, size: 1, push: 1, memo: 'g'},
	'j':  {name: "LONG_BINGET", arg: argFixed, size: 4, push: 1, memo: 'g'},
	'p':  {name: "PUT", arg: argLine, pop: 1, push: 1, memo: 'p'},
	'q':  {name: "BINPUT", arg: argFixed, size: 1, pop: 1, push: 1, memo: 'p'},
	'r':  {name: "LONG_BINPUT", arg: argFixed, size: 4, pop: 1, push: 1, memo: 'p'},
	0x94: {name: "MEMOIZE", pop: 1, push: 1, memo: 'm'},
	0x82: {name: "EXT1", arg: argFixed, size: 1, push: 1},
	0x83: {name: "EXT2", arg: argFixed, size: 2, push: 1},
	0x84: {name: "EXT4", arg: argFixed, size: 4, push: 1},
	'c':  {name: "GLOBAL", arg: argLines2, push: 1},
	0x93: {name: "STACK_GLOBAL", pop: 2, push: 1},
	'R':  {name: "REDUCE", pop: 2, push: 1},
	'b':  {name: "BUILD", pop: 2, push: 1},
	'i':  {name: "INST", arg: argLines2, stack: stToMark},
	'o':  {name: "OBJ", stack: stObj},
	0x81: {name: "NEWOBJ", pop: 2, push: 1},
	0x92: {name: "NEWOBJ_EX", pop: 3, push: 1},
	0x80: {name: "PROTO", arg: argFixed, size: 1, proto: true},
	'.':  {name: "STOP", stack: stStop},
	0x95: {name: "FRAME", arg: argFixed, size: 8, frame: true},
	'P':  {name: "PERSID", arg: argLine, push: 1},
	'Q':  {name: "BINPERSID", pop: 1, push: 1},
}

// maxLineArg bounds a numeric line argument (a memo key); text lines are only counted.
const maxLineArg = 64

// pickleScanner reads a pickle through a counting buffered reader.
type pickleScanner struct {
	r     *bufio.Reader
	pos   int64 // bytes consumed
	limit int64 // bytes available from the start
}

// scanPickle checks one pickle read from r, which holds at most limit bytes, and returns the
// number of bytes it spans (up to and including STOP). Errors give the opcode and its offset
// in the file, base being the pickle's.
func scanPickle(r io.Reader, limit, base int64) (int64, error) {
	s := &pickleScanner{r: bufio.NewReaderSize(r, 64<<10), limit: limit}
	var (
		marks []int // item counts of the segments below each mark
		items int   // items above the top mark
		memo  = map[uint64]bool{}
	)
	for {
		at := base + s.pos
		code, err := s.byte()
		if err != nil {
			return 0, eofError(at, "ends before its STOP opcode", err)
		}
		op, ok := pickleOps[code]
		if !ok {
			return 0, fmt.Errorf("byte %d: 0x%02x is not a pickle opcode", at, code)
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("byte %d: %s: %s", at, op.name, fmt.Sprintf(format, a...))
		}
		arg, err := s.arg(op)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, eofError(at, "ends inside "+op.name+"'s argument", err)
		} else if err != nil {
			return 0, fail("%v", err)
		}
		switch {
		case op.proto && arg > 5:
			return 0, fail("protocol %d is not known", arg)
		case op.frame && int64(arg) > s.limit-s.pos:
			return 0, fail("frame of %d bytes, %d left", arg, s.limit-s.pos)
		}
		switch op.memo {
		case 'g':
			if !memo[arg] {
				return 0, fail("memo key %d was never stored", arg)
			}
		case 'p':
			memo[arg] = true
		case 'm':
			memo[uint64(len(memo))] = true
		}
		switch op.stack {
		case stFixed:
			if items < op.pop {
				return 0, fail("needs %d stack items, has %d", op.pop, items)
			}
			items += op.push - op.pop
		case stMark:
			marks, items = append(marks, items), 0
		case stToMark, stToMarkInto, stPopMark, stObj:
			if len(marks) == 0 {
				return 0, fail("no mark on the stack")
			}
			popped := items
			items, marks = marks[len(marks)-1], marks[:len(marks)-1]
			switch {
			case op.even && popped%2 != 0:
				return 0, fail("odd number (%d) of keys and values", popped)
			case op.stack == stObj && popped == 0:
				return 0, fail("no class after the mark")
			case op.stack == stToMarkInto && items == 0:
				return 0, fail("nothing below the mark to add to")
			}
			if op.stack == stToMark || op.stack == stObj {
				items++
			}
		case stPop:
			switch {
			case items > 0:
				items--
			case len(marks) > 0:
				items, marks = marks[len(marks)-1], marks[:len(marks)-1]
			default:
				return 0, fail("stack is empty")
			}
		case stStop:
			if items == 0 {
				return 0, fail("stack is empty")
			}
			return s.pos, nil
		}
	}
}

// eofError turns a read failure at offset at into an error; running out of bytes is reported
// as truncation (wrapping io.ErrUnexpectedEOF).
func eofError(at int64, what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("byte %d: the pickle %s (truncated file?): %w", at, what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("byte %d: %w", at, err)
}

func (s *pickleScanner) byte() (byte, error) {
	if s.pos >= s.limit {
		return 0, io.ErrUnexpectedEOF
	}
	b, err := s.r.ReadByte()
	if err == nil {
		s.pos++
	}
	return b, err
}

// fixed reads n bytes (n ≤ 8) little-endian.
func (s *pickleScanner) fixed(n int) (uint64, error) {
	if int64(n) > s.limit-s.pos {
		return 0, io.ErrUnexpectedEOF
	}
	var buf [8]byte
	if _, err := io.ReadFull(s.r, buf[:n]); err != nil {
		return 0, err
	}
	s.pos += int64(n)
	return binary.LittleEndian.Uint64(buf[:]), nil
}

// skip consumes n bytes of data after checking that they exist.
func (s *pickleScanner) skip(n uint64, what string) error {
	if left := s.limit - s.pos; n > uint64(left) {
		return fmt.Errorf("%s of %d bytes, %d left (corrupt length or truncated file)", what, n, left)
	}
	if _, err := s.r.Discard(int(n)); err != nil {
		return err
	}
	s.pos += int64(n)
	return nil
}

// line consumes a newline-terminated argument and returns its start (at most maxLineArg bytes).
func (s *pickleScanner) line() (string, error) {
	var head []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		if s.pos+int64(len(chunk)) > s.limit {
			return "", io.ErrUnexpectedEOF
		}
		s.pos += int64(len(chunk))
		if len(head) < maxLineArg {
			head = append(head, chunk[:min(len(chunk), maxLineArg-len(head))]...)
		}
		switch {
		case err == nil:
			return string(head), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return "", err
		}
	}
}

// arg consumes op's argument and returns its numeric value where it has one (a fixed-size
// integer, a memo key); lengths are checked against the bytes left before anything is read.
func (s *pickleScanner) arg(op opcode) (uint64, error) {
	switch op.arg {
	case argFixed:
		return s.fixed(op.size)
	case argLine:
		l, err := s.line()
		if err != nil || op.memo == 0 {
			return 0, err
		}
		key, err := strconv.ParseUint(trimNewline(l), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("memo key %q is not a number", trimNewline(l))
		}
		return key, nil
	case argLines2:
		if _, err := s.line(); err != nil {
			return 0, err
		}
		_, err := s.line()
		return 0, err
	case argLen1, argLen4, argLen8:
		size := map[argKind]int{argLen1: 1, argLen4: 4, argLen8: 8}[op.arg]
		n, err := s.fixed(size)
		if err != nil {
			return 0, err
		}
		if op.signed && int32(n) < 0 {
			return 0, fmt.Errorf("negative length %d", int32(n))
		}
		return 0, s.skip(n, "argument")
	}
	return 0, nil
}

func trimNewline(l string) string {
	if n := len(l); n > 0 && l[n-1] == '\n' {
		return l[:n-1]
	}
	return l
}
