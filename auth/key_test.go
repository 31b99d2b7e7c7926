package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
)

// unpublished is a key that is not in the served key set.
var unpublished = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()
