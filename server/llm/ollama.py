"""The Ollama interviewer: official AsyncClient, streamed questions, schema-checked extraction."""
