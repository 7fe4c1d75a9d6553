"""The trained reader: finds the short answer span in evidence passages and says when there is none."""
