"""One loader per format; each turns bytes into `LoadedDocument`s or raises `LoaderError`."""
