package pkg

// Ignored is in a test file, so Read does not see it.
type Ignored struct{}
