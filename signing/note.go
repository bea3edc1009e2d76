package signing

import (
	"errors"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// NoteSigner returns a signed-note signer that signs, under name (the
// log's origin), with the ring's current key: the registry's one
// Ed25519 key signs both QR codes and checkpoints. After a rotation it
// signs with the new key (monitors must then be given the new verifier
// key). A rotation between the key hash and the signature is caught and
// the checkpoint refused, to be signed again by the next sequencing.
func (kr *KeyRing) NoteSigner(name string) (note.Signer, error) {
	s := &ringSigner{name: name, ring: kr}
	if _, err := s.verifier(); err != nil {
		return nil, err
	}
	return s, nil
}

type ringSigner struct {
	name string
	ring *KeyRing
	mu   sync.Mutex
	last note.Verifier // the key whose hash KeyHash last reported
}

func (s *ringSigner) verifier() (note.Verifier, error) {
	k := s.ring.Current()
	if k == nil {
		return nil, errors.New("transparency log: the key ring has no current key")
	}
	vkey, err := note.NewEd25519VerifierKey(s.name, k.Public)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}

func (s *ringSigner) Name() string { return s.name }

func (s *ringSigner) KeyHash() uint32 {
	v, err := s.verifier()
	if err != nil {
		return 0 // Sign then fails
	}
	s.mu.Lock()
	s.last = v
	s.mu.Unlock()
	return v.KeyHash()
}

func (s *ringSigner) Sign(msg []byte) ([]byte, error) {
	s.mu.Lock()
	v := s.last
	s.mu.Unlock()
	_, sig, err := s.ring.Sign(msg)
	if err != nil {
		return nil, err
	}
	if v == nil || !v.Verify(msg, sig) {
		return nil, errors.New("transparency log: the key ring's key changed while signing; the next sequencing signs again")
	}
	return sig, nil
}
