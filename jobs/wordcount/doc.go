// Package wordcount is the streaming word count of the seeds: it splits each
// line on white space, keys by word, keeps a running count per word, and
// writes every update as "word,count".
//
// The job's operators carry fixed UIDs (source, split, count, format, sink)
// so that its checkpoints stay restorable across versions of this program.
package wordcount
