package trace

// ResultFieldsWritten is how many fields of Result WriteJSON writes.
func ResultFieldsWritten() int { return len(resultFields(&Result{})) }
