package methods

import "github.com/clue-bench/clue-bench/model"

// EncoderParams counts an encoder's parameters from its config: total (embeddings, layers,
// pooler) and layers (the N transformer layers only, the denominator the FL-tuning paper's
// "3.48% of the encoder" uses). NEZHA has no position embeddings (its relative table is
// computed, not learned); RoFormer has none either, embeddings of width embedding_size with
// embeddings_project when that differs from hidden_size, and no pooler. transformers also
// counts RoFormer's frozen sinusoid table (max_position_embeddings × head size) among the
// parameters; it is not a parameter here.
func EncoderParams(c model.Config) (total, layers int64) {
	h, i := c.HiddenSize, c.IntermediateSize
	var emb, pooler int64
	switch c.Arch() {
	case model.ArchNEZHA:
		emb = (c.VocabSize+c.TypeVocabSize)*h + 2*h
		pooler = h*h + h
	case model.ArchRoFormer:
		e := c.EmbeddingDim()
		emb = (c.VocabSize+c.TypeVocabSize)*e + 2*e
		if e != h {
			emb += e*h + h // embeddings_project
		}
	default:
		emb = (c.VocabSize+c.MaxPositionEmbeddings+c.TypeVocabSize)*h + 2*h // + LayerNorm
		pooler = h*h + h
	}
	attn := 4*(h*h+h) + 2*h            // Q, K, V, attention output; attention LayerNorm
	ffn := (h*i + i) + (i*h + h) + 2*h // FFN in, FFN out; output LayerNorm
	layer := attn + ffn
	layers = c.NumHiddenLayers * layer
	return emb + layers + pooler, layers
}

// Counts is the parameter accounting `bench params` prints.
type Counts struct {
	Trainable          int64   `json:"trainable"`
	TrainableBackbone  int64   `json:"trainable_backbone"`
	Head               int64   `json:"head"`
	Added              int64   `json:"added"`
	Total              int64   `json:"total"`
	Ratio              float64 `json:"ratio"`
	RatioEncoderLayers float64 `json:"ratio_encoder_layers"`
}

// Count combines a method's accounting with a head of the given size.
func Count(c model.Config, m Spec, head int64) Counts {
	total, layers := EncoderParams(c)
	added, backbone := m.Count(c)
	out := Counts{TrainableBackbone: backbone, Head: head, Added: added, Trainable: backbone + head, Total: total + added + head}
	out.Ratio = float64(out.Trainable) / float64(out.Total)
	out.RatioEncoderLayers = float64(backbone) / float64(layers)
	return out
}
