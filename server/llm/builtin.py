"""The built-in interviewer: a curated question bank streamed at a natural pace."""
