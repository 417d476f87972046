"""One module per schema revision, in order: ``v0001_baseline`` then each change since."""
