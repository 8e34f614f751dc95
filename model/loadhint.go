package model

import "strings"

// shapeFields names the config.json fields that give an encoder variable its shape, for the
// error about a checkpoint tensor of another shape ("" for variables outside the encoder).
func shapeFields(name string) string {
	var dims string
	roformer := strings.HasPrefix(name, ArchRoFormer+".")
	switch {
	case roformer && strings.HasSuffix(name, "embeddings.word_embeddings.weight"):
		dims = "vocab_size × embedding_size (default hidden_size)"
	case roformer && strings.HasSuffix(name, "embeddings.token_type_embeddings.weight"):
		dims = "type_vocab_size × embedding_size (default hidden_size)"
	case roformer && strings.Contains(name, ".embeddings.LayerNorm."):
		dims = "embedding_size (default hidden_size)"
	case strings.HasSuffix(name, "embeddings_project.weight"):
		dims = "hidden_size × embedding_size"
	case strings.HasSuffix(name, "embeddings.word_embeddings.weight"):
		dims = "vocab_size × hidden_size"
	case strings.HasSuffix(name, "embeddings.position_embeddings.weight"):
		dims = "max_position_embeddings × hidden_size"
	case strings.HasSuffix(name, "embeddings.token_type_embeddings.weight"):
		dims = "type_vocab_size × hidden_size"
	case strings.HasSuffix(name, ".intermediate.dense.weight"):
		dims = "intermediate_size × hidden_size"
	case strings.HasSuffix(name, ".intermediate.dense.bias"):
		dims = "intermediate_size"
	case strings.HasSuffix(name, ".output.dense.weight") && strings.Contains(name, ".layer.") && !strings.Contains(name, ".attention."):
		dims = "hidden_size × intermediate_size"
	case !IsEncoderVar(name):
		return ""
	default:
		dims = "hidden_size"
	}
	return " (config.json: " + dims + ")"
}
