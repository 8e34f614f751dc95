package main

// data groups the `bench data <sub>` subcommands; each registers itself from its own file.
var data = &command{
	name:    "data",
	summary: "inspect CLUE data (check) or write the built-in mini-CLUE (gen)",
	subs:    map[string]*command{},
}

func registerData(c *command) { data.add(c) }

func init() { register(data) }
