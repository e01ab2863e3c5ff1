package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"text/template"

	"github.com/Masterminds/sprig" // Debian packages sprig v3 at this import path
)

type tc struct {
	Src  string          `json:"src"`
	Data json.RawMessage `json:"data"`
}
type res struct {
	Out string `json:"out"`
	Err string `json:"err,omitempty"`
}

func main() {
	var cases []tc
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	out := make([]res, 0, len(cases))
	for _, c := range cases {
		out = append(out, run(c))
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func run(c tc) (r res) {
	defer func() {
		if p := recover(); p != nil {
			r = res{Err: fmt.Sprint("panic: ", p)}
		}
	}()
	t, err := template.New("t").Funcs(sprig.TxtFuncMap()).Parse(c.Src)
	if err != nil {
		return res{Err: err.Error()}
	}
	var data interface{}
	d := json.NewDecoder(bytes.NewReader(c.Data))
	d.UseNumber()
	if len(c.Data) > 0 {
		if err := d.Decode(&data); err != nil {
			return res{Err: "data: " + err.Error()}
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return res{Out: buf.String(), Err: err.Error()}
	}
	return res{Out: buf.String()}
}
