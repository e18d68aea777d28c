// Placeholder: the owner of this entry replaces it.
export {}
