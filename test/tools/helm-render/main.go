// helm-render renders a Helm chart the way `helm template` does, for the subset of Helm our chart
// uses. Helm itself cannot be installed where our tests run (it is not packaged by Debian and its
// npm wrappers download from GitHub), but its template engine is only Go's text/template plus
// sprig v3 plus a handful of functions, so the same templates run through the same engine here.
//
// Usage:
//
//	helm-render [--release-name NAME] [--namespace NS] [--upgrade] [-f values.yaml]... [--set a.b=c]...
//	            [--lookup objects.yaml] [--api-versions group/version]... [--notes] CHART_DIR
//
// Build (Debian's Go libraries are GOPATH packages, not modules):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o /tmp/helm-render ./test/tools/helm-render
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	// Debian installs sprig v3 at its GOPATH path without the /v3 suffix; it is sprig 3.2.
	"github.com/Masterminds/sprig"
	yamlv2 "gopkg.in/yaml.v2"
	"gopkg.in/yaml.v3"
)

// chartMetadata mirrors the fields of Helm's chart.Metadata that templates read as .Chart.*;
// a struct (not a map) so a misspelt field fails at render time, as it does in Helm.
type chartMetadata struct {
	APIVersion  string `yaml:"apiVersion"`
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	AppVersion  string `yaml:"appVersion"`
	Description string `yaml:"description"`
	Type        string `yaml:"type"`
	KubeVersion string `yaml:"kubeVersion"`
	Home        string `yaml:"home"`
}

// versionSet is .Capabilities.APIVersions; Helm's has the same Has method.
type versionSet []string

func (v versionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type kubeVersion struct{ Version, Major, Minor, GitVersion string }

type capabilities struct {
	APIVersions versionSet
	KubeVersion kubeVersion
}

// The built-in API groups a current cluster serves; CRD groups (monitoring.coreos.com/v1) are
// absent unless given with --api-versions, as with `helm template`.
var defaultAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1",
	"rbac.authorization.k8s.io/v1", "storage.k8s.io/v1", "apiextensions.k8s.io/v1",
	"coordination.k8s.io/v1", "discovery.k8s.io/v1", "scheduling.k8s.io/v1",
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run() error {
	var valueFiles, sets, apiVersions multiFlag
	releaseName := flag.String("release-name", "streamspace", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	upgrade := flag.Bool("upgrade", false, "render as an upgrade (.Release.IsUpgrade) instead of an install")
	lookupFile := flag.String("lookup", "", "YAML stream of objects that lookup finds (a cluster's existing state)")
	notes := flag.Bool("notes", false, "also print the rendered NOTES.txt")
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Var(&sets, "set", "key.path=value override (repeatable)")
	flag.Var(&apiVersions, "api-versions", "extra API version for .Capabilities.APIVersions (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		return errors.New("expected exactly one chart directory")
	}
	chartDir := flag.Arg(0)

	var meta chartMetadata
	if err := readYAML(filepath.Join(chartDir, "Chart.yaml"), &meta); err != nil {
		return err
	}
	if meta.APIVersion != "v2" || meta.Name == "" || meta.Version == "" {
		return errors.New("Chart.yaml: apiVersion v2, name and version are required")
	}

	values, err := loadValues(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range valueFiles {
		override, err := loadValues(f)
		if err != nil {
			return err
		}
		values = coalesce(values, override)
	}
	for _, s := range sets {
		if err := applySet(values, s); err != nil {
			return err
		}
	}

	existing, err := loadLookupObjects(*lookupFile)
	if err != nil {
		return err
	}

	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": *releaseName, "Namespace": *namespace, "IsInstall": !*upgrade, "IsUpgrade": *upgrade,
			"Revision": 1, "Service": "Helm",
		},
		"Chart": &meta,
		"Capabilities": &capabilities{
			APIVersions: append(versionSet(defaultAPIVersions), apiVersions...),
			KubeVersion: kubeVersion{Version: "v1.31.0", Major: "1", Minor: "31", GitVersion: "v1.31.0"},
		},
	}

	files, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	if err != nil {
		return err
	}
	sort.Strings(files)

	// One template set holds every file, so `include` and `define` work across files, as in Helm.
	// missingkey=error is `helm lint --strict`: a path absent from values.yaml is an error instead
	// of an empty string (the seed chart's nil-pointer crashes came from such paths).
	root := template.New("chart").Option("missingkey=error")
	root.Funcs(funcMap(root, existing))
	names := map[string]string{}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		name := meta.Name + "/templates/" + filepath.Base(file)
		names[file] = name
		if _, err := root.New(name).Parse(string(text)); err != nil {
			return err
		}
	}

	var out bytes.Buffer
	for _, file := range files {
		base := filepath.Base(file)
		isNotes := base == "NOTES.txt"
		if strings.HasPrefix(base, "_") || (!isNotes && !hasAnySuffix(base, ".yaml", ".yml")) {
			continue
		}
		name := names[file]
		top["Template"] = map[string]interface{}{"Name": name, "BasePath": meta.Name + "/templates"}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, top); err != nil {
			return err
		}
		if isNotes {
			if *notes {
				fmt.Fprintf(&out, "NOTES:\n%s\n", buf.String())
			}
			continue
		}
		for _, manifest := range splitManifests(buf.String()) {
			// Helm parses every manifest to sort it; a YAML error fails the render there too.
			// Decoding the whole document (not only its head, as Helm does) also rejects duplicate
			// keys, which the API server's strict field validation refuses as well.
			var head map[string]interface{}
			if err := yaml.Unmarshal([]byte(manifest), &head); err != nil {
				return fmt.Errorf("YAML parse error on %s: %w", name, err)
			}
			if head["apiVersion"] == nil || head["kind"] == nil {
				return fmt.Errorf("%s: a manifest without apiVersion or kind", name)
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, manifest)
		}
	}
	_, err = os.Stdout.Write(out.Bytes())
	return err
}

// funcMap is sprig plus Helm's own functions (helm/pkg/engine/funcs.go), without env and
// expandenv, which Helm removes so a render does not depend on the machine it runs on.
func funcMap(root *template.Template, existing []map[string]interface{}) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")

	depth := map[string]int{}
	f["include"] = func(name string, data interface{}) (string, error) {
		// Helm stops runaway recursion the same way.
		if depth[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		depth[name]++
		defer func() { depth[name]-- }()
		var buf strings.Builder
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf strings.Builder
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	f["required"] = func(message string, value interface{}) (interface{}, error) {
		if value == nil {
			return value, errors.New(message)
		}
		if s, ok := value.(string); ok && s == "" {
			return value, errors.New(message)
		}
		return value, nil
	}
	f["toYaml"] = toYAML
	f["fromYaml"] = func(text string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := unmarshalJSONish([]byte(text), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromJson"] = func(text string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	// `helm template` has no cluster and its lookup returns an empty map; --lookup stands in for
	// the objects a cluster already has, to test what an upgrade keeps.
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		var items []interface{}
		for _, obj := range existing {
			meta, _ := obj["metadata"].(map[string]interface{})
			if obj["apiVersion"] != apiVersion || obj["kind"] != kind {
				continue
			}
			if namespace != "" && meta["namespace"] != namespace {
				continue
			}
			if name == "" {
				items = append(items, obj)
			} else if meta["name"] == name {
				return obj, nil
			}
		}
		if name == "" && items != nil {
			return map[string]interface{}{"items": items}, nil
		}
		return map[string]interface{}{}, nil
	}
	return f
}

// toYAML is Helm's toYaml: sigs.k8s.io/yaml goes through JSON and emits with yaml.v2, so keys are
// sorted, numbers are JSON numbers, and the trailing newline is dropped.
func toYAML(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var generic interface{}
	if err := json.Unmarshal(data, &generic); err != nil {
		return ""
	}
	out, err := yamlv2.Marshal(generic)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

// unmarshalJSONish reads YAML the way Helm does (YAML → JSON → Go), so every number is a float64
// and every map is map[string]interface{}: a template comparing `eq .Values.n 1` fails here as in Helm.
func unmarshalJSONish(data []byte, target interface{}) error {
	var generic interface{}
	if err := yaml.Unmarshal(data, &generic); err != nil {
		return err
	}
	j, err := json.Marshal(generic)
	if err != nil {
		return err
	}
	if string(j) == "null" {
		return nil
	}
	return json.Unmarshal(j, target)
}

func readYAML(path string, target interface{}) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, target); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func loadValues(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	values := map[string]interface{}{}
	if err := unmarshalJSONish(data, &values); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return values, nil
}

func loadLookupObjects(path string) ([]map[string]interface{}, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var objects []map[string]interface{}
	for _, doc := range splitManifests(string(data)) {
		obj := map[string]interface{}{}
		if err := unmarshalJSONish([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		objects = append(objects, obj)
	}
	return objects, nil
}

// coalesce merges override into base as Helm merges user values into the chart's: maps merge key
// by key, anything else replaces, and null removes the key.
func coalesce(base, override map[string]interface{}) map[string]interface{} {
	for key, value := range override {
		if value == nil {
			delete(base, key)
			continue
		}
		if sub, ok := value.(map[string]interface{}); ok {
			if baseSub, ok := base[key].(map[string]interface{}); ok {
				base[key] = coalesce(baseSub, sub)
				continue
			}
		}
		base[key] = value
	}
	return base
}

// applySet is `--set a.b.c=value` for dotted paths (no list indexes or commas), with Helm's
// typing of the value: true/false become booleans, null removes, whole numbers become int64.
func applySet(values map[string]interface{}, expr string) error {
	eq := strings.Index(expr, "=")
	if eq <= 0 {
		return fmt.Errorf("--set %q: expected key=value", expr)
	}
	path := strings.Split(expr[:eq], ".")
	raw := expr[eq+1:]
	var value interface{} = raw
	switch {
	case raw == "true":
		value = true
	case raw == "false":
		value = false
	case raw == "null":
		value = nil
	default:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil && (raw == "0" || !strings.HasPrefix(raw, "0")) {
			value = n
		}
	}
	node := values
	for _, key := range path[:len(path)-1] {
		next, ok := node[key].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			node[key] = next
		}
		node = next
	}
	last := path[len(path)-1]
	if value == nil {
		delete(node, last)
	} else {
		node[last] = value
	}
	return nil
}

var separator = regexp.MustCompile(`(?m)^---\s*$`)

// splitManifests splits a rendered file into documents and drops empty ones, as Helm does.
func splitManifests(text string) []string {
	var out []string
	for _, part := range separator.Split(text, -1) {
		trimmed := strings.TrimSpace(part)
		if trimmed == "" || isOnlyComments(trimmed) {
			continue
		}
		out = append(out, strings.Trim(part, "\n"))
	}
	return out
}

func isOnlyComments(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, suffix := range suffixes {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}
