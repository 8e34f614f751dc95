package heads

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/tokenizer"
)

func init() { Register(ner{}) }

// ner is the kind of entity tasks (CLUENER): [CLS] text [SEP] → typed spans, scored by a
// GlobalPointer head (globalpointer.go). Gold character spans become (type, first token, last
// token) cells through the tokenizer's character offsets; predicted cells go back the same way.
type ner struct{}

var _ Kind = ner{}

func (ner) Name() string   { return clue.NER }
func (ner) Prefix() string { return "global_pointer" }

func (ner) Params(task *clue.Task, hidden int64) int64 {
	return GlobalPointerParams(hidden, int64(len(task.Labels)))
}

func (ner) NewHead(p *nn.Path, task *clue.Task, hidden int64, o Options) (Head, error) {
	return NewGlobalPointer(p, hidden, int64(len(task.Labels)), o.Dropout)
}

// cell is one (type, start token, end token) entry of the span score grid.
type cell struct{ typ, start, end int }

// nerData holds one row per sentence and what maps its tokens back to characters.
type nerData struct {
	rows
	pad      int64
	nTypes   int
	texts    [][]rune
	offsets  [][][2]int // per row, token → [start, end) characters; [0,0] for special tokens
	text     [][]bool   // per row, token is a text token (may start or end an entity)
	gold     [][]cell
	entities int // gold entities seen
	lost     int // gold entities that no cell can express (cut by max_len, or inside a token)
}

func (ner) Encode(tok *tokenizer.Tokenizer, task *clue.Task, exs []clue.Example, o Options) (Data, error) {
	d := &nerData{pad: tok.PAD(), nTypes: len(task.Labels)}
	for _, ex := range exs {
		enc := tok.Encode(ex.TextA, o.MaxLen)
		runes := []rune(ex.TextA)
		// charTok maps each character to the token covering it, -1 where none does
		// (whitespace, or past the max_len cut).
		charTok := make([]int, len(runes))
		for c := range charTok {
			charTok[c] = -1
		}
		isText := make([]bool, enc.Len())
		for t, off := range enc.Offsets {
			if enc.Segment[t] != 0 {
				continue
			}
			isText[t] = true
			for c := off[0]; c < off[1] && c < len(runes); c++ {
				charTok[c] = t
			}
		}
		var gold []cell
		for _, e := range ex.Entities {
			d.entities++
			if e.Type < 0 || e.Type >= d.nTypes || e.Start < 0 || e.End >= len(runes) || e.Start > e.End {
				return nil, fmt.Errorf("ner: example %s: entity %+v outside its text or types", ex.ID, e)
			}
			s, t := charTok[e.Start], charTok[e.End]
			// An entity that starts or ends inside a word piece would decode to the whole
			// piece, so it is not a target either.
			if s < 0 || t < 0 || enc.Offsets[s][0] != e.Start || enc.Offsets[t][1] != e.End+1 {
				d.lost++
				continue
			}
			gold = append(gold, cell{e.Type, s, t})
		}
		d.add(enc)
		d.texts = append(d.texts, runes)
		d.offsets = append(d.offsets, enc.Offsets)
		d.text = append(d.text, isText)
		d.gold = append(d.gold, gold)
	}
	return d, nil
}

func (d *nerData) Len() int { return len(d.ids) }

func (d *nerData) Notes() []string {
	if d.lost == 0 {
		return nil
	}
	return []string{fmt.Sprintf("ner: %d of %d gold entities cannot be predicted (cut by max_len or not on token boundaries)", d.lost, d.entities)}
}

// Batch uploads, besides the rows, Extra = (B, T) 1 on text tokens, and Target = the flat
// indices ((b·E + type)·T + start)·T + end of the gold cells (nil when there are none).
func (d *nerData) Batch(idx []int, dev gotch.Device) (*Batch, error) {
	b := &Batch{Units: len(idx)}
	maxT, err := d.padRows(idx, d.pad, dev, b)
	if err == nil {
		T, E := int64(maxT), int64(d.nTypes)
		mask := make([]int64, len(idx)*maxT)
		var flat []int64
		for k, i := range idx {
			for t, ok := range d.text[i] {
				if ok {
					mask[k*maxT+t] = 1
				}
			}
			for _, c := range d.gold[i] {
				flat = append(flat, ((int64(k)*E+int64(c.typ))*T+int64(c.start))*T+int64(c.end))
			}
		}
		b.Extra, err = upload(mask, []int64{int64(len(idx)), T}, dev)
		if err == nil && len(flat) > 0 {
			b.Target, err = upload(flat, []int64{int64(len(flat))}, dev)
		}
	}
	if err != nil {
		b.Drop()
		return nil, fmt.Errorf("make batch: %w", err)
	}
	return b, nil
}

// Decode maps each guessed cell back to characters: from the start token's first character
// to the end token's last one.
func (d *nerData) Decode(guesses []Guess) ([]clue.Prediction, error) {
	if len(guesses) != d.Len() {
		return nil, fmt.Errorf("ner: %d guesses for %d examples", len(guesses), d.Len())
	}
	out := make([]clue.Prediction, len(guesses))
	for i, g := range guesses {
		es := []clue.Entity{}
		offs, text := d.offsets[i], d.text[i]
		for _, s := range g {
			if s.Start < 0 || s.End >= len(offs) || s.Start > s.End || !text[s.Start] || !text[s.End] ||
				s.Label < 0 || s.Label >= d.nTypes {
				return nil, fmt.Errorf("ner: unit %d: guess %+v is not a text span of a known type", i, s)
			}
			start, end := offs[s.Start][0], offs[s.End][1]-1
			es = append(es, clue.Entity{Type: s.Label, Start: start, End: end, Text: string(d.texts[i][start : end+1])})
		}
		out[i] = clue.Prediction{Label: -1, Entities: clue.SortEntities(es)}
	}
	return out, nil
}
