package datagen

import (
	"fmt"
	"strings"
)

const (
	consonants = "bdfgklmnprstvz"
	vowels     = "aeiou"
	syllables  = len(consonants) * len(vowels) // 70
)

// Word returns the k-th word (k >= 0) of the fixed vocabulary: k written in
// base 70 with at least two digits, each digit a consonant-vowel syllable,
// so words are distinct, pronounceable and 4 letters long for k < 4900
// ("baba", "babe", ..., "zuzu"), longer after that.
func Word(k int) string {
	var digits [16]byte
	n := 0
	for k > 0 || n < 2 {
		digits[n] = byte(k % syllables)
		k /= syllables
		n++
	}
	b := make([]byte, 0, 2*n)
	for i := n - 1; i >= 0; i-- {
		d := int(digits[i])
		b = append(b, consonants[d/len(vowels)], vowels[d%len(vowels)])
	}
	return string(b)
}

// Words returns the first n words of the vocabulary.
func Words(n int) []string {
	w := make([]string, n)
	for i := range w {
		w[i] = Word(i)
	}
	return w
}

// Lines returns a source of count lines (unbounded when count < 0), each of
// wordsPerLine words separated by single spaces and drawn uniformly from
// Words(vocabulary). Line n is the same at any parallelism.
func Lines(count int64, seed uint64, wordsPerLine, vocabulary int) *Source[string] {
	if wordsPerLine < 1 || vocabulary < 1 {
		s := New[string](count, seed, func(int64, uint64) string { return "" })
		s.err = fmt.Errorf("datagen: Lines needs wordsPerLine >= 1 and vocabulary >= 1, got %d and %d", wordsPerLine, vocabulary)
		return s
	}
	vocab := Words(vocabulary)
	v := uint64(vocabulary)
	size := wordsPerLine * (len(vocab[len(vocab)-1]) + 1)
	return New(count, seed, func(_ int64, rnd uint64) string {
		var b strings.Builder
		b.Grow(size)
		for j := range wordsPerLine {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[Mix(rnd, int64(j))%v])
		}
		return b.String()
	})
}
