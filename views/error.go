package views

// ErrorView is what an error page says.
type ErrorView struct {
	Status  int
	Title   string
	Message string
}
