"""The analysts' chat UI. Until the UI lands, this reports what the index holds and how to ask."""

import rag

if __name__ == "__main__":
    lib = rag.open()
    docs = lib.documents()
    print(f"rag: {len(docs)} documents indexed in {lib.settings.index}/")
    print("The chat UI comes with the UI issue; meanwhile ask from the command line:")
    print('  .venv/bin/rag ask "How many attacks did ISIS carry out in July?"')
