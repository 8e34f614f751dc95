package plan

// CLUEData is the data_dir value that stands for the fetched CLUE data cache (see package
// fetch), downloaded on first use; like "builtin" it is a name, not a path.
const CLUEData = "clue"

// BackboneWritten is the named backbone's value as the config writes it, after ${VAR}
// expansion ("" names the single backbone), where BackboneDir has it resolved against the
// config's directory. A value that is no directory may name a model on the Hugging Face hub
// ("owner/name[@revision]"); whoever opens the backbone decides, by whether the directory
// exists (see hub.IsRef). "" for a name the config does not have.
func (c *Config) BackboneWritten(name string) string {
	return c.written[name]
}
