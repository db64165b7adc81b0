package pkg

// Base is embedded.
type Base struct{}

// Thing: a thing, described
// over two lines.
//
// A second paragraph.
type Thing struct {
	Base
	// A is by its JSON name.
	A string `json:"a,omitempty" yaml:"ay"`
	// B has only a YAML name.
	B string `yaml:"b"`
	C string `json:"c"`
	// D is not written.
	D string `json:"-"`
}

// Other is not asked for.
type Other struct{}
