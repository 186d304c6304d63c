"""Quantization after pruning: what a pruned model costs once its weights are stored in fewer bits
(Deep Compression's weight sharing and Huffman coding; int8 in a deployment runtime)."""
