package operator

import "github.com/weirstream/weir/connector"

// SourceIdentity is the Identity of the node's source, or "" when it does
// not implement Identifier.
func (s *SourceNode[T]) SourceIdentity() string {
	if id, ok := s.Source.(connector.Identifier); ok {
		return id.Identity()
	}
	return ""
}
