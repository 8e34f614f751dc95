package model

import "fmt"

// Site and Block name the places in a layer where tuning hooks attach (hooks.go). They are
// plain Go, so that method specs that name sites build without libtorch.

// Site names one of a layer's linear maps.
type Site int

// The linear maps of a layer, in the order the forward pass runs them.
const (
	SiteQuery   Site = iota // attention.self.query
	SiteKey                 // attention.self.key
	SiteValue               // attention.self.value
	SiteAttnOut             // attention.output.dense
	SiteFFNIn               // intermediate.dense
	SiteFFNOut              // output.dense
	numSites
)

// Sites lists every Site in forward order.
var Sites = []Site{SiteQuery, SiteKey, SiteValue, SiteAttnOut, SiteFFNIn, SiteFFNOut}

var siteNames = [numSites]string{"query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"}

// String is the map's name inside a layer, as in transformers' variable names
// ("attention.self.query" is "query").
func (s Site) String() string {
	if s < 0 || s >= numSites {
		return fmt.Sprintf("Site(%d)", int(s))
	}
	return siteNames[s]
}

// Block names a layer's two sublayers.
type Block int

// The two sublayers.
const (
	BlockAttention Block = iota
	BlockFFN
)

func (b Block) String() string {
	if b == BlockAttention {
		return "attention"
	}
	return "feed-forward"
}
