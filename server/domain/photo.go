package domain

// PhotoURL is the SQL expression of the URL of the photo of the user whose
// id is userID (a column), NULL without one, named photo_url. The URL
// carries the photo's hash: a new photo gets a new URL, so a photo may be
// cached for long.
func PhotoURL(userID string) string {
	return `(SELECT '/api/v1/users/' || p.user_id || '/photo/' || p.hash || '.jpg' FROM user_photos p
		WHERE p.user_id = ` + userID + `) AS photo_url`
}
