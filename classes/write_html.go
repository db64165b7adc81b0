package classes

import (
	"html/template"
	"io"
	"time"
)

// htmlReport is the class report as one self-contained page; html/template
// escapes every value, and the page loads nothing from anywhere.
var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Class {{.Class}}: report</title>
<style>
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
.pass { color: #070; } .fail { color: #b00; } .error { color: #a60; }
pre { margin: 0; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>Class {{.Class}}</h1>
<p>Scenario {{.Scenario}}; {{len .Learners}} learners; report made {{when .Generated}}.</p>
<table>
<tr><th>learner</th><th>lab</th><th>score</th><th>full marks after</th><th>grades</th><th>hints used</th></tr>
{{range .Learners}}<tr><td><a href="#learner-{{.Learner}}">{{.Learner}}</a></td><td>{{.Lab}}</td><td>{{.Score}}/{{.MaxScore}}</td><td>{{with .FullMarksAfter}}{{.}}{{else}}—{{end}}</td><td>{{.Grades}}</td><td>{{.HintsUsed}}</td></tr>
{{end}}</table>
{{range .Learners}}
<h2 id="learner-{{.Learner}}">{{.Learner}}</h2>
{{if .Checks}}<table>
<tr><th>stage</th><th>check</th><th>status</th><th>points</th><th>full marks after</th><th>message and evidence</th></tr>
{{range .Checks}}<tr><td>{{.Stage}}</td><td>{{.Name}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{.Points}}/{{.MaxPoints}}</td><td>{{with .FullMarksAfter}}{{.}}{{else}}—{{end}}</td>
<td>{{.Message}}{{if .Evidence}}<pre>{{range .Evidence}}{{.Source}}: {{.Field}}{{if .Want}}
  want: {{.Want}}{{end}}
  got:  {{.Got}}
{{end}}</pre>{{end}}</td></tr>
{{end}}</table>
{{else}}<p>Never graded.</p>
{{end}}{{end}}
</body>
</html>
`))

func writeHTML(w io.Writer, rep Report) error { return htmlReport.Execute(w, rep) }
