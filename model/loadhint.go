package model

import "strings"

// shapeFields names the config.json fields that give a BERT variable its shape, for the error
// about a checkpoint tensor of another shape ("" for variables outside the encoder).
func shapeFields(name string) string {
	var dims string
	switch {
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
	case !strings.HasPrefix(name, "bert."):
		return ""
	default:
		dims = "hidden_size"
	}
	return " (config.json: " + dims + ")"
}
