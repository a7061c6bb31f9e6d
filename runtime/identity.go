package runtime

// Identifier is implemented by sources that can describe their
// configuration in one line ("file /data/in.txt"): a checkpoint records it
// per source, and a restore refuses a checkpoint whose source read
// something else. Implementing it is optional; a source without it is not
// checked. The line must not change between runs of the same job.
type Identifier interface {
	Identity() string
}

// SourceIdentity is the Identity of the node's source, or "" when it does
// not implement Identifier.
func (s *SourceNode[T]) SourceIdentity() string {
	if id, ok := s.Source.(Identifier); ok {
		return id.Identity()
	}
	return ""
}
