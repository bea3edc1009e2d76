package site

// consoleRoutes are the routes of the certification bodies' console.
func (s *Server) consoleRoutes() []route {
	return nil
}
