package trainer

import (
	"fmt"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/optim"
)

// Spec is what a model for training is made of.
type Spec struct {
	Config model.Config
	Method methods.Method
	Kind   heads.Kind // the head's kind; Task's labels size it
	Task   *clue.Task
	Head   heads.Options
	Device gotch.Device
	// Seed seeds libtorch's generators before the first variable is created: it fixes the
	// random initialisation and, after it, the dropout masks of training.
	Seed        int64
	WeightDecay float64
	// Load, when set, fills the variables once all exist and before the trainable ones are
	// marked (a checkpoint); nil keeps the random initialisation.
	Load func(vs *nn.VarStore) error
}

// Model is a model ready to train: the variables, the modules using them and the optimiser over
// the trainable ones.
type Model struct {
	VS      *nn.VarStore
	Encoder *model.Encoder
	Head    heads.Head
	Opt     *optim.AdamW
	// Trainable and Frozen are the variable names, sorted; the optimiser's parameters are the
	// trainable ones in this order.
	Trainable, Frozen []string
	device            gotch.Device

	// started is set by the first Step, which records its mean loss in firstLoss: the
	// reference of the divergence check.
	started   bool
	firstLoss float64
}

// New assembles the model s describes. Variables are created in a fixed order (encoder,
// method, head), so equal specs give equal initial weights.
func New(s Spec) (*Model, error) {
	torchrt.ManualSeed(s.Seed)
	m := &Model{VS: nn.NewVarStore(s.Device), device: s.Device}
	if err := m.build(s); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func (m *Model) build(s Spec) error {
	if s.Head.Pooler && s.Config.Arch() == model.ArchRoFormer {
		// transformers' RoFormerModel has no pooler; its heads read [CLS].
		return fmt.Errorf("%s head: pooler is set, but a roformer encoder has no pooler output; read [CLS] (pooler: false)", s.Kind.Name())
	}
	root := m.VS.Root()
	enc, err := model.NewEncoder(root.Sub(s.Config.Namespace()), s.Config)
	if err != nil {
		return fmt.Errorf("encoder: %w", err)
	}
	m.Encoder = enc
	if err := s.Method.Attach(root.Sub(s.Method.Name()), enc); err != nil {
		return fmt.Errorf("attach %s: %w", s.Method.Name(), err)
	}
	if m.Head, err = s.Kind.NewHead(root.Sub(s.Kind.Prefix()), s.Task, s.Config.HiddenSize, s.Head); err != nil {
		return fmt.Errorf("%s head: %w", s.Kind.Name(), err)
	}
	if s.Load != nil {
		if err := s.Load(m.VS); err != nil {
			return err
		}
	}
	// The head always trains; the method decides for the encoder and its own variables.
	headPrefix := s.Kind.Prefix() + "."
	m.Trainable, m.Frozen, err = model.SetTrainable(m.VS, func(name string) bool {
		return strings.HasPrefix(name, headPrefix) || s.Method.Trains(name)
	})
	if err != nil {
		return err
	}
	vars := m.VS.Variables()
	params := make([]optim.Param, 0, len(m.Trainable))
	for _, name := range m.Trainable {
		v := vars[name]
		params = append(params, optim.Param{Name: name, Tensor: &v, Decay: Decays(name)})
	}
	m.Opt = optim.NewAdamW(params, s.WeightDecay)
	return nil
}

// Decays reports whether weight decay applies to the variable with this full name: not to
// biases and LayerNorm parameters, following BERT's recipe.
func Decays(name string) bool {
	return !(strings.HasSuffix(name, ".bias") || strings.Contains(name, "LayerNorm"))
}

// TrainableElements is the number of trainable scalars.
func (m *Model) TrainableElements() (int64, error) {
	var n int64
	for _, p := range m.Opt.Params() {
		shape, err := p.Tensor.Size()
		if err != nil {
			return 0, fmt.Errorf("size of %s: %w", p.Name, tsx.Err(err))
		}
		k := int64(1)
		for _, d := range shape {
			k *= d
		}
		n += k
	}
	return n, nil
}

// Close frees the optimiser state, the encoder's bf16 copies and the variables.
func (m *Model) Close() {
	if m.Encoder != nil {
		m.Encoder.SetFrozenBF16(false) // frees the bf16 copies
	}
	if m.Opt != nil {
		m.Opt.Close()
	}
	m.VS.Destroy()
}
