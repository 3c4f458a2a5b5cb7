"""Knowledge base: uploads, extraction, chunking, embeddings, retrieval, Q&A."""
