"""What a pruned model is worth: test metrics, exact savings (FLOPs, compaction, bytes on
disk) and measured latency."""
