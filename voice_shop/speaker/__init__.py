"""Who is speaking: GE2E speaker embeddings in numpy, voice profiles and identification."""
