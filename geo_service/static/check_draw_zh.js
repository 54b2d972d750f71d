/* The /check page's drawing tools (Leaflet.draw) in Chinese: its default words are English.
 * Loaded after leaflet.draw.js, before check.js. Constant strings only. */
(function (words) {
  var tb = words.draw.toolbar, hd = words.draw.handlers, et = words.edit.toolbar, eh = words.edit.handlers;
  tb.buttons.polygon = "绘制多边形地块";
  tb.buttons.rectangle = "绘制矩形地块";
  tb.actions = { title: "取消绘制", text: "取消" };
  tb.finish = { title: "完成绘制", text: "完成" };
  tb.undo = { title: "删除最后一个点", text: "撤销最后一点" };
  hd.polygon.tooltip = { start: "点击开始绘制地块", cont: "点击继续绘制", end: "点击第一个点闭合地块" };
  hd.polygon.error = "错误：地块边线不能相交";
  hd.rectangle.tooltip = { start: "按住鼠标拖出矩形" };
  hd.simpleshape.tooltip = { end: "松开鼠标完成绘制" };
  et.buttons = { edit: "编辑地块", editDisabled: "没有可编辑的地块", remove: "删除地块", removeDisabled: "没有可删除的地块" };
  et.actions = { save: { title: "保存修改", text: "保存" }, cancel: { title: "放弃修改", text: "取消" },
                 clearAll: { title: "删除全部地块", text: "全部删除" } };
  eh.edit.tooltip = { text: "拖动顶点修改地块", subtext: "点击“取消”放弃修改" };
  eh.remove.tooltip = { text: "点击要删除的地块" };
})(L.drawLocal);
